"""Drift per member: sequential tests (CUSUM) over gold answers, agreement and label shift."""
