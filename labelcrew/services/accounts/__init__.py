"""Accounts: users, passwords, API tokens, server-side sessions, sign-in throttling."""
