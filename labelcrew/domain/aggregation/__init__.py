"""Aggregation: from several answers per item to one label (vote counting, Dawid-Skene)."""
