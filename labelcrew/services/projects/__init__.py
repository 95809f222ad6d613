"""Projects, members and roles, label schemas, batches and items."""
