"""Bulk writers for item import: chunks of prepared rows stored on a second thread.

The import's thread parses and checks the file; a writer stores each finished chunk on a
thread of its own, so parsing the next chunk overlaps storing the last one. This helps only
because the driver holds no GIL while the database works, and only when it drops the GIL
once per chunk rather than once per row: a thread that gives up the GIL for a few
microseconds per row waits up to the interpreter's switch interval (5 ms) to get it back
while the parser runs, so per-row `executemany` on a second thread is slower than one thread.
Hence each chunk travels as one value: a JSON array that SQLite unpacks with `json_each`
inside one INSERT, or one binary COPY block for PostgreSQL (`importing_copy`).

A queue of `QUEUE_CHUNKS` chunks between the threads keeps memory flat: the parser waits when
the writer falls behind. While a writer runs, only it touches the connection; the import
calls `wait()` before it uses the session itself (to create a batch) and `finish()` at the end.

A prepared row is a tuple in `ROW_COLUMNS` order whose JSON columns are serialised already
(orjson); a chunk's gold answers are `(external_id, gold JSON)` pairs, stored for the rows the
chunk created (an item that existed before keeps its gold state).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from sqlalchemy import Connection

from labelcrew.db.models import Item

# The columns that vary per row, in the order of a prepared row's tuple. The others
# (project_id, overlap_target, annotation_count, state, created_at) are the same for every row.
ROW_COLUMNS = (
    "external_id",
    "payload",
    "priority",
    "required_skills",
    "batch_id",
    "difficulty",
    "is_gold",
)
ITEM_COLUMNS = (
    "project_id",
    *ROW_COLUMNS,
    "overlap_target",
    "annotation_count",
    "state",
    "created_at",
)
QUEUE_CHUNKS = 2
# A larger page cache keeps the unique and queue indexes of a big import in memory
# (measured 47k -> 70k rows/s on 300k rows); the default is set back when the import ends.
SQLITE_IMPORT_CACHE_KIB = 65536
SQLITE_DEFAULT_CACHE_KIB = 2000

Row = tuple[Any, ...]
Gold = tuple[str, str]


@dataclass
class Written:
    created: int = 0
    gold_set: int = 0


class Writer(Protocol):
    def write(self, rows: Sequence[Row], gold: Sequence[Gold]) -> None:
        """Queue a chunk: rows whose external id is new to the project are inserted."""

    def wait(self) -> None:
        """Return once every queued chunk is stored (re-raising the writer's error)."""

    def finish(self) -> Written:
        """Wait for the queued chunks and return what was stored."""

    def close(self) -> None:
        """Stop the writer thread and undo connection settings; always called."""


class ChunkThread:
    """Runs `store(chunk)` for each queued chunk, in order, on one thread.

    The first error stops the storing: later chunks are dropped and the error is raised on
    the caller's thread at each later `put` and `wait`, so the unit of work rolls back.
    """

    def __init__(self, store: Callable[[Any], None], name: str) -> None:
        self._store = store
        self._queue: queue.Queue[Any] = queue.Queue(QUEUE_CHUNKS)
        self._error: BaseException | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            chunk = self._queue.get()
            try:
                if chunk is None:
                    return
                if self._error is None and not self._stopping:
                    self._store(chunk)
            except BaseException as exc:  # handed to the caller's thread
                self._error = exc
            finally:
                self._queue.task_done()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, chunk: Any) -> None:
        self._raise()
        self._queue.put(chunk)

    def wait(self) -> None:
        self._queue.join()
        self._raise()

    def stop(self) -> None:
        """End the thread; chunks still queued are dropped (after `finish` there are none)."""
        if self._thread.is_alive():
            self._stopping = True
            self._queue.put(None)
            self._thread.join()


def driver_of(conn: Connection) -> Any:
    """The DBAPI driver's own connection (sqlite3 or psycopg) under `conn`."""
    driver = conn.connection.driver_connection
    if driver is None:
        raise RuntimeError("the connection is closed")
    return driver


def bound_now(conn: Connection, now: datetime) -> Any:
    """`now` as the driver receives it for Item.created_at (a string on SQLite)."""
    created_at = Item.__table__.c.created_at.type
    process = created_at.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process(now) if process else now


class SqliteWriter:
    """One `INSERT ... SELECT ... FROM json_each(?)` per chunk, ON CONFLICT DO NOTHING.

    `json_extract` (not `->>`) keeps SQLite 3.24+ enough; the statement's change count is the
    number of rows created, conflicts excluded. Gold answers go to the chunk's new items: the
    ones whose id is above the largest id before the import (SQLite gives a new row the
    largest rowid + 1, the import holds the write lock, and an id occurs once in a file).
    """

    INSERT = (
        f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) "
        "SELECT :project_id, "
        + ", ".join(f"json_extract(value, '$[{n}]')" for n in range(len(ROW_COLUMNS)))
        + ", :overlap, 0, 'open', :created_at FROM json_each(:rows) WHERE true "
        # `WHERE true` lets SQLite's parser tell the upsert clause from a join constraint.
        "ON CONFLICT (project_id, external_id) DO NOTHING"
    )
    GOLD = (
        "INSERT INTO gold_answers (item_id, value, rule_number, created_by, created_at) "
        "SELECT items.id, json_extract(g.value, '$[1]'), NULL, :created_by, :created_at "
        # CROSS JOIN keeps json_each outside: one index lookup per answer, never a scan of
        # the project's items per chunk.
        "FROM json_each(:gold) AS g CROSS JOIN items ON items.project_id = :project_id "
        "AND items.external_id = json_extract(g.value, '$[0]') WHERE items.id > :before"
    )

    def __init__(
        self, conn: Connection, project_id: int, overlap: int, now: datetime, created_by: int | None
    ) -> None:
        self._driver = driver_of(conn)
        created_at = bound_now(conn, now)
        self._params = {"project_id": project_id, "overlap": overlap, "created_at": created_at}
        self._gold_params = {
            "project_id": project_id,
            "created_by": created_by,
            "created_at": created_at,
        }
        self.written = Written()
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
        self._before = conn.exec_driver_sql("SELECT max(id) FROM items").scalar() or 0
        self._thread = ChunkThread(self._store, "labelcrew-import-sqlite")

    def write(self, rows: Sequence[Row], gold: Sequence[Gold]) -> None:
        if rows:
            # One C call per chunk on the parser's thread; the writer thread then needs the
            # GIL only to start the statement.
            self._thread.put((orjson.dumps(rows).decode(), orjson.dumps(gold).decode()))

    def _store(self, chunk: tuple[str, str]) -> None:
        rows, gold = chunk
        cursor = self._driver.cursor()
        try:
            cursor.execute(self.INSERT, {**self._params, "rows": rows})
            self.written.created += cursor.rowcount
            if gold != "[]":
                before = self._before
                cursor.execute(self.GOLD, {**self._gold_params, "gold": gold, "before": before})
                self.written.gold_set += cursor.rowcount
        finally:
            cursor.close()

    def wait(self) -> None:
        self._thread.wait()

    def finish(self) -> Written:
        self._thread.wait()
        return self.written

    def close(self) -> None:
        self._thread.stop()
        cursor = self._driver.cursor()
        try:
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_DEFAULT_CACHE_KIB}")
        finally:
            cursor.close()


def make_writer(
    conn: Connection, project_id: int, overlap: int, now: datetime, created_by: int | None
) -> Writer:
    if conn.dialect.name == "sqlite":
        return SqliteWriter(conn, project_id, overlap, now, created_by)
    from labelcrew.services.importing_copy import PostgresWriter

    return PostgresWriter(conn, project_id, overlap, now, created_by)
