"""The quality engine's rules: gold scheduling, membership states, agreement, drift."""
