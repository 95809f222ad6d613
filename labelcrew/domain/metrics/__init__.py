"""Metrics arithmetic and the weekly snapshot's rendering: plain values in, plain values out."""
