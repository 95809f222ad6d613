"""The weekly snapshot: one page per week, per member trends and top examples."""
