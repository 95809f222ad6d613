"""Account rules: the password policy."""
