"""Team operations: seniority routing, workload planning, payload redaction."""
