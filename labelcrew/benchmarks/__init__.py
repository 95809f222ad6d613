"""Benchmarks behind `labelcrew bench`: each times labelcrew against a named reference."""
