"""Work distribution rules: overlap policies and self-check rules."""
