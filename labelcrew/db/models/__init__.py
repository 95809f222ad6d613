"""The tables, one module per capability (`core` holds projects, users, items, annotations)."""
