"""Response models of item import (`api/routes/imports.py`)."""

from __future__ import annotations

from labelcrew.api.schemas import Out


class ImportRowError(Out):
    """One rejected row of an import: its line, the field (null: the whole row) and why."""

    line: int
    field: str | None
    message: str


class ImportReportOut(Out):
    """What an import did: rows read, items created or unchanged, rows rejected (the first
    `max_errors` of them listed), batches created, gold items set, bytes read."""

    format: str
    filename: str
    rows_read: int
    created: int
    unchanged: int
    rejected: int
    error_count: int
    errors: list[ImportRowError]
    batches_created: int
    gold_set: int
    bytes_read: int
