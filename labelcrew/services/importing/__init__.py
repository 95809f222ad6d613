"""Item import: files streamed into a project in one transaction (COPY on PostgreSQL)."""
