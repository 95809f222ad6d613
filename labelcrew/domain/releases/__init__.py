"""The rules of a release as pure functions: final labels, exclusions, the content hash."""
