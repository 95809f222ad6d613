"""Item import: a JSONL, CSV or Label Studio file streamed into a project in one transaction.

Rows are parsed (`labelcrew.domain.importing.parsers`), checked and staged in chunks of `CHUNK_ROWS`;
a writer (`importing_writers`, `importing_copy`) stores each chunk on a thread of its own
while this thread parses the next, with at most a few chunks in between, so memory stays
bounded whatever the file size (apart from the parser's set of ids seen, about 120 bytes per
row). The whole file is one unit of work:

- by default any bad row refuses the import: every row is still read and checked, each bad
  line is reported (up to `max_errors`, with the total count), and nothing is committed;
- with `skip_invalid` the good rows are imported and each bad row is written to `rejects`
  as a JSON line `{"line", "field", "error", "raw"}` (`raw` is the row's source text for
  JSONL and CSV; a Label Studio task has no line of its own, so it is null there).

Re-importing is idempotent: an external id the project already has is left as it is and
counted as unchanged, never duplicated or overwritten. A row with `gold` gets a GoldAnswer
checked against the project's current schema and its item is marked gold.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

import orjson
from sqlalchemy import Connection, select

from labelcrew.config import get_settings
from labelcrew.db.models.core import Batch, Project
from labelcrew.domain.importing.parsers import (
    HEAD_BYTES,
    ItemRow,
    RowError,
    detect_format,
)
from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.domain.text_rules import NUL_JSON, NUL_MESSAGE, find_nul
from labelcrew.errors import ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.importing.pg_copy import PostgresWriter
from labelcrew.services.importing.streams import CountingReader, LineLog, rows_of
from labelcrew.services.importing.writers import ROW_COLUMNS, SqliteWriter, Writer
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.teamops import privacy
from labelcrew.services.uow import Database, UnitOfWork

# Rows per chunk: the writer thread takes the GIL back once per chunk, so chunks are large.
CHUNK_ROWS = 10_000
ROW_WIDTH = len(ROW_COLUMNS)
READ_BUFFER = 1 << 20
# Limits of the items and batches columns (String(200)); the parser allows longer ids.
MAX_EXTERNAL_ID = 200
MAX_BATCH_NAME = 200
# PostgreSQL text and jsonb cannot hold NUL; refusing it on both backends keeps a project
# movable between them (the rule of `text_rules`, checked here on the stored JSON).
EMPTY_LIST_JSON = "[]"
_dumps = orjson.dumps


@dataclass
class ImportReport:
    format: str
    filename: str
    rows_read: int = 0
    created: int = 0
    unchanged: int = 0
    rejected: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    batches_created: int = 0
    gold_set: int = 0
    bytes_read: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Import:
    """The state of one import inside its unit of work."""

    def __init__(
        self,
        uow: UnitOfWork,
        project_id: int,
        schema: LabelSchema | None,
        writer: Writer,
        report: ImportReport,
        *,
        skip_invalid: bool,
        max_errors: int,
        rejects: BinaryIO | None,
        max_field_bytes: int,
        max_row_bytes: int,
    ) -> None:
        self.schema = schema
        self.max_field_bytes, self.max_row_bytes = max_field_bytes, max_row_bytes
        self.writer, self.report = writer, report
        self.skip_invalid, self.max_errors, self.rejects = skip_invalid, max_errors, rejects
        # Every batch of the project (read while the writer is still idle), and those the
        # file names.
        self.project_batches: dict[str, int] = {
            name: batch_id
            for name, batch_id in uow.session.execute(
                select(Batch.name, Batch.id).where(Batch.project_id == project_id)
            )
        }
        self.batch_ids: dict[str, int] = {}
        # The staged chunk, flat: `ROW_COLUMNS` values per row, as the writers bind them.
        self.values: list[Any] = []
        self.chunk_values = CHUNK_ROWS * ROW_WIDTH
        self.gold: list[tuple[str, str]] = []
        self.staged = 0
        self.redactor = privacy.redactor_for(uow.session.get_one(Project, project_id))

        # Set at the first bad row unless skip_invalid: the import will roll back, so writing
        # more rows would be wasted work (every row is still read and checked).
        self.refused = False

    def reject(self, error: RowError, raw: str | None) -> None:
        report = self.report
        report.error_count += 1
        self.refused = not self.skip_invalid
        if len(report.errors) < self.max_errors:
            report.errors.append(
                {"line": error.line, "field": error.field, "message": error.message}
            )
        if self.skip_invalid:
            report.rejected += 1
            if self.rejects is not None:
                self.rejects.write(
                    orjson.dumps(
                        {
                            "line": error.line,
                            "field": error.field,
                            "error": error.message,
                            "raw": raw,
                        }
                    )
                    + b"\n"
                )

    def add(self, row: ItemRow) -> RowError | None:
        """Check what the parser cannot (column limits, NUL, gold against the schema) and stage
        the row; a problem comes back as a RowError.

        This runs once per row: the common case (a known batch or none, no gold) takes no
        branch that calls out, and problems are worded by helpers.
        """
        line, external_id, payload, priority, skills, batch, difficulty, gold = row
        if len(external_id) > MAX_EXTERNAL_ID:
            message = f"id is {len(external_id)} characters long; at most {MAX_EXTERNAL_ID}"
            return RowError(line, "id", message)
        try:
            stored = _dumps(payload if self.redactor is None else self.redactor(payload))
        except orjson.JSONEncodeError as exc:
            return RowError(line, "data", f"data cannot be stored: {exc}")
        if len(stored) > self.max_field_bytes:
            too_big = self._too_big(line, payload, len(stored))
            if too_big is not None:
                return too_big
        data = stored.decode()
        needs = _dumps(skills).decode() if skills else EMPTY_LIST_JSON
        # On str: `bytes in bytes` first tries the needle as an integer and pays for the error.
        if NUL_JSON in data or NUL_JSON in needs or "\x00" in external_id:
            where = find_nul(payload, "data") or ("id" if "\x00" in external_id else "skills")
            return RowError(line, where, f"{where} {NUL_MESSAGE}")
        if gold is not None:
            checked = self._check_gold(row)
            if isinstance(checked, RowError):
                return checked
            gold = checked
        batch_id = None
        if batch is not None:
            batch_id = self.batch_ids.get(batch)
            if batch_id is None:
                found = self._batch_id(row)
                if isinstance(found, RowError):
                    return found
                batch_id = found
        if self.refused:
            return None
        self.values += (
            external_id,
            data,
            priority,
            needs,
            batch_id,
            difficulty or "normal",
            gold is not None,
        )
        if gold is not None:
            self.gold.append((external_id, _dumps(gold).decode()))
        return None

    def _too_big(self, line: int, payload: dict[str, Any], size: int) -> RowError | None:
        """The first data value over the field limit, else the whole data over the row limit."""
        limit = self.max_field_bytes
        for key, value in payload.items():
            field_size = len(_dumps(value))
            if field_size > limit:
                return RowError(
                    line,
                    f"data.{key}",
                    f"data.{key} is {field_size:,} bytes as JSON; at most {limit:,} "
                    "(LABELCREW_IMPORT_MAX_FIELD_BYTES)",
                )
        if size > self.max_row_bytes:
            return RowError(
                line,
                "data",
                f"the row's data is {size:,} bytes as JSON; at most {self.max_row_bytes:,} "
                "(LABELCREW_IMPORT_MAX_ROW_BYTES)",
            )
        return None

    def _check_gold(self, row: ItemRow) -> dict[str, Any] | RowError:
        if self.schema is None:
            return RowError(
                row.line,
                "gold",
                "the project has no label schema yet; define it before importing gold answers",
            )
        try:
            return self.schema.validate(row.gold or {}, row.payload)
        except ValidationFailed as exc:
            problems = exc.details.get("errors") or [{"field": exc.field, "message": exc.message}]
            where = f"gold.{exc.field}" if exc.field else "gold"
            return RowError(
                row.line, where, "gold answer: " + "; ".join(str(p["message"]) for p in problems)
            )

    def _batch_id(self, row: ItemRow) -> int | RowError | None:
        """The id of a batch this file names for the first time, new to the project or not;
        None once the import is refused (creating it would be wasted)."""
        name = row.batch or ""
        if len(name) > MAX_BATCH_NAME or "\x00" in name:
            return RowError(
                row.line,
                "batch",
                f"batch name {name[:40]!r} is longer than "
                f"{MAX_BATCH_NAME} characters or holds a NUL character",
            )
        if self.refused:
            return None
        found = self.project_batches.get(name)
        if found is None:
            found = self.project_batches[name] = self.writer.new_batch(name)
            self.report.batches_created += 1
        self.batch_ids[name] = found
        return found

    def run(
        self, rows: Iterator[ItemRow | RowError], log: LineLog | None, progress: Callable[[], None]
    ) -> None:
        """Stage every row, hand each full chunk to the writer, report each bad row."""
        add, reject, read = self.add, self.reject, 0
        for result in rows:
            read += 1
            error = result if isinstance(result, RowError) else add(result)
            if error is not None:
                reject(error, log.take(error.line) if log is not None else None)
            elif log is not None:
                log.recent.clear()
            if len(self.values) >= self.chunk_values:
                self.flush()
                progress()
        self.report.rows_read = read
        self.finish()

    def flush(self) -> None:
        """Hand the staged chunk to the writer (unless the import is already refused)."""
        values, gold = self.values, self.gold
        self.values, self.gold = [], []
        if self.refused or not values:
            return
        self.staged += len(values) // ROW_WIDTH
        self.writer.write(values, gold)

    def finish(self) -> None:
        self.flush()
        written = self.writer.finish()
        self.report.created = written.created
        self.report.unchanged = self.staged - written.created
        self.report.gold_set = written.gold_set


def import_items(
    db: Database,
    actor: Actor,
    project_ref: int | str,
    fp: BinaryIO,
    *,
    filename: str,
    fmt: str | None = None,
    skip_invalid: bool = False,
    rejects: BinaryIO | None = None,
    max_errors: int = 100,
    progress: Callable[[int], None] | None = None,
    max_field_bytes: int | None = None,
    max_row_bytes: int | None = None,
) -> ImportReport:
    """Import the items in `fp` (binary, read once, front to back) into a project.

    Raises ValidationFailed with code `import_rejected` (details: errors, error_count,
    rows_read) when any row is bad and `skip_invalid` is off; nothing is imported then.
    A row whose data (or one value of it) is larger than the limits, as stored JSON, is bad;
    the limits default to the settings `import_max_field_bytes` and `import_max_row_bytes`.
    """
    if max_errors < 0:
        raise ValidationFailed("max_errors must be 0 or more", field="max_errors")
    settings = get_settings()
    max_field_bytes = max_field_bytes or settings.import_max_field_bytes
    max_row_bytes = max_row_bytes or settings.import_max_row_bytes
    head = fp.read(HEAD_BYTES)
    chosen = fmt or detect_format(filename, head)
    counter = CountingReader(head, fp)
    stream = io.BufferedReader(counter, READ_BUFFER)
    report = ImportReport(format=chosen, filename=filename)
    # A line holds the row's data plus its id, gold and the rest: twice the data limit.
    rows, log = rows_of(
        stream,
        chosen,
        want_raw=skip_invalid and rejects is not None,
        line_limit=2 * max_row_bytes,
    )
    with db.uow() as uow:
        project = load_project(uow, project_ref)
        schema = (
            None
            if project.schema_version is None
            else schema_for(uow, project.id, project.schema_version)
        )
        connection = uow.session.connection()
        created_by = actor.user_id if actor.user_id > 0 else None
        writer = make_writer(connection, project.id, project.overlap, uow.now, created_by)
        try:
            job = _Import(
                uow,
                project.id,
                schema,
                writer,
                report,
                skip_invalid=skip_invalid,
                max_errors=max_errors,
                rejects=rejects,
                max_field_bytes=min(max_field_bytes, max_row_bytes),
                max_row_bytes=max_row_bytes,
            )
            job.run(rows, log, lambda: progress(counter.bytes_read) if progress else None)
            report.bytes_read = counter.bytes_read
            if progress is not None:
                progress(counter.bytes_read)
            if job.refused:
                raise _refusal(report)
            summary = {k: v for k, v in report.to_dict().items() if k != "errors"}
            privacy.after_import(uow, actor, project, job.redactor, job.batch_ids.values())
            audit(
                uow,
                actor_id=actor.user_id,
                action="items.import",
                entity_type="project",
                entity_id=project.id,
                project_id=project.id,
                after=summary,
            )
            emit(uow, project_id=project.id, event_type="items.imported", payload=summary)
            uow.commit()
        finally:
            # After the commit, or before the rollback: the writer's thread is idle by now.
            writer.close()
    return report


def _refusal(report: ImportReport) -> ValidationFailed:
    first = report.errors[0] if report.errors else None
    where = f"; first on line {first['line']}: {first['message']}" if first else ""
    return ValidationFailed(
        f"{report.filename}: {report.error_count} bad row(s) of {report.rows_read}; nothing "
        f"was imported{where}",
        code="import_rejected",
        field="file",
        details={
            "errors": report.errors,
            "error_count": report.error_count,
            "rows_read": report.rows_read,
            "format": report.format,
        },
    )


def make_writer(
    conn: Connection, project_id: int, overlap: int, now: datetime, created_by: int | None
) -> Writer:
    """The bulk writer for the connection's database (COPY on PostgreSQL)."""
    if conn.dialect.name == "sqlite":
        return SqliteWriter(conn, project_id, overlap, now, created_by)
    return PostgresWriter(conn, project_id, overlap, now, created_by)
