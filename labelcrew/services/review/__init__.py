"""Review: the review queue, verdicts, error taxonomy, comment threads, feedback."""
