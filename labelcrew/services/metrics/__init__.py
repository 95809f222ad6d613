"""Metrics: the dashboard's figures, their rollups, and the weekly snapshot."""
