"""Platform: the outbox and audit events, webhooks, the worker and its periodic jobs."""
