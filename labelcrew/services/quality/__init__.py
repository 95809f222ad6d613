"""Quality over stored labels: agreement, gold accuracy, drift scans and alerts."""
