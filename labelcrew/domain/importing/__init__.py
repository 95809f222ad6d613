"""Import files as rows: streaming parsers for JSONL, CSV and Label Studio, one row's checks."""
