"""The label schema: field kinds and the check every submitted value goes through."""
