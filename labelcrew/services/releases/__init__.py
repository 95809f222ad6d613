"""Dataset releases: immutable, hashed versions of a project's labels, and exports."""
