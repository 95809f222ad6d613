"""Escalations: level 1 and level 2 tickets with SLAs."""
