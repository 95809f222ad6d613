"""Review rules: which verdicts exist, what each needs, when a review task is done."""
