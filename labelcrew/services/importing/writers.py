"""Bulk writers for item import: chunks of prepared rows stored on a second thread.

The import's thread parses and checks the file; a writer stores each finished chunk on a
thread of its own, so parsing the next chunk overlaps storing the last one. This helps only
because the driver holds no GIL while the database works, and only when it drops the GIL
once per chunk rather than once per row: a thread that gives up the GIL for a few
microseconds per row waits up to the interpreter's switch interval (5 ms) to get it back
while the parser runs, so per-row `executemany` on a second thread is slower than one thread.
Hence a chunk goes to the database in one call: one multi-row `INSERT ... VALUES` with every
value bound (SQLite; binding is the only part that holds the GIL), or one binary COPY block
(PostgreSQL, `importing_copy`). For SQLite, multi-row VALUES took 5.3 us of CPU per row
where unpacking a JSON array with `json_each` in one INSERT took 8.5 us (200k rows, same
process).

A queue of `QUEUE_CHUNKS` jobs between the threads keeps memory flat: the parser waits when
the writer falls behind. While a writer runs, only it touches the connection, so a batch the
file names for the first time is a job too: the parser reserves its id (`new_batch`) and
carries on, and the writer inserts the batch before the chunks that use it. (Creating it
through the session instead meant draining the pipeline at every new batch name.)

A chunk is a flat list of values, `ROW_COLUMNS` per row, whose JSON columns are serialised
already (orjson): what a multi-row INSERT binds, with no tuple per row to build and unpack on
the thread that holds the GIL. A chunk's gold answers are `(external_id, gold JSON)` pairs,
stored for the rows the chunk created (an item that existed before keeps its gold state).
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol

import orjson
from sqlalchemy import Connection

from labelcrew.db.models.core import Item

# The columns that vary per row, in the order of its values in a chunk. The others
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
# (measured 47k -> 70k rows/s on 300k rows); it ends with the import's connection.
SQLITE_IMPORT_CACHE_KIB = 65536

Gold = tuple[str, str]


@dataclass
class Written:
    created: int = 0
    gold_set: int = 0


class Writer(Protocol):
    def new_batch(self, name: str) -> int:
        """Reserve the id of a batch the project lacks; queue its insert before later chunks."""

    def write(self, values: list[Any], gold: Sequence[Gold]) -> None:
        """Queue a chunk (flat, `ROW_COLUMNS` per row): rows whose external id is new to the
        project are inserted."""

    def finish(self) -> Written:
        """Wait for the queued chunks and return what was stored."""

    def close(self) -> None:
        """Stop the writer thread and let go of what the import left on the connection;
        always called, after the commit or before the rollback."""


class WriterThread:
    """Runs each queued job (a callable that writes to the import's connection), in order,
    on one thread.

    The first error stops the writing: later jobs are dropped and the error is raised on the
    caller's thread at each later `put` and `wait`, so the unit of work rolls back.
    """

    def __init__(self, name: str) -> None:
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue(QUEUE_CHUNKS)
        self._error: BaseException | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                if self._error is None and not self._stopping:
                    job()
            except BaseException as exc:  # handed to the caller's thread
                self._error = exc
            finally:
                self._queue.task_done()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, job: Callable[[], None]) -> None:
        self._raise()
        self._queue.put(job)

    def wait(self) -> None:
        self._queue.join()
        self._raise()

    def stop(self) -> None:
        """End the thread; jobs still queued are dropped (after `wait` there are none)."""
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


def rows_per_insert(driver: sqlite3.Connection) -> int:
    """As many rows as one statement can bind (the build's limit, 32,766 variables by default
    since SQLite 3.32, 250,000 in Debian's)."""
    limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, limit // len(ROW_COLUMNS))


class SqliteWriter:
    """One multi-row `INSERT ... VALUES (...), (...) ON CONFLICT DO NOTHING` per chunk.

    The statement's change count is the number of rows created, conflicts excluded. A chunk
    larger than the connection's limit on bound variables goes in several statements. Gold
    answers go to the chunk's new items: the ones whose id is above the largest id before the
    import (SQLite gives a new row the largest rowid + 1, the import holds the write lock, and
    an id occurs once in a file); `json_extract` keeps SQLite 3.24+ enough.
    """

    GOLD = (
        "INSERT INTO gold_answers (item_id, value, rule_number, created_by, created_at) "
        "SELECT items.id, json_extract(g.value, '$[1]'), NULL, :created_by, :created_at "
        # CROSS JOIN keeps json_each outside: one index lookup per answer, never a scan of
        # the project's items per chunk.
        "FROM json_each(:gold) AS g CROSS JOIN items ON items.project_id = :project_id "
        "AND items.external_id = json_extract(g.value, '$[0]') WHERE items.id > :before"
    )

    BATCH = (
        "INSERT INTO batches (id, project_id, name, owner_id, state, deadline, handoff_note,"
        " created_at, updated_at) VALUES (?, ?, ?, NULL, 'open', NULL, '', ?, ?)"
    )

    def __init__(
        self, conn: Connection, project_id: int, overlap: int, now: datetime, created_by: int | None
    ) -> None:
        self._conn = conn
        self._driver = driver_of(conn)
        self._project_id = project_id
        self._created_at = created_at = bound_now(conn, now)
        self._gold_params = {
            "project_id": project_id,
            "created_by": created_by,
            "created_at": created_at,
            "before": conn.exec_driver_sql("SELECT max(id) FROM items").scalar() or 0,
        }
        # The write lock is held: nobody else adds a batch until the import commits.
        self._last_batch = conn.exec_driver_sql("SELECT max(id) FROM batches").scalar() or 0
        self.written = Written()
        # The constants go into the statement's text (all three are ours, not the file's):
        # binding them once per row would be the most work the GIL-holding part does.
        created = "'" + str(created_at).replace("'", "''") + "'"
        self._row_sql = f"({int(project_id)},?,?,?,?,?,?,?,{int(overlap)},0,'open',{created})"
        self._insert_sql: dict[int, str] = {}
        self._rows_per_insert = rows_per_insert(self._driver)
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
        self._thread = WriterThread("labelcrew-import-sqlite")

    def new_batch(self, name: str) -> int:
        self._last_batch += 1
        row = (self._last_batch, self._project_id, name, self._created_at, self._created_at)
        self._thread.put(partial(self._execute, self.BATCH, row))
        return self._last_batch

    def write(self, values: list[Any], gold: Sequence[Gold]) -> None:
        step = self._rows_per_insert * len(ROW_COLUMNS)
        for start in range(0, len(values), step):
            part = values[start : start + step] if len(values) > step else values
            last = start + step >= len(values)
            answers = orjson.dumps(gold).decode() if gold and last else None
            self._thread.put(partial(self._store, len(part) // len(ROW_COLUMNS), part, answers))

    def _insert(self, count: int) -> str:
        """The INSERT for `count` rows, built once per size (SQLite caches its plan)."""
        sql = self._insert_sql.get(count)
        if sql is None:
            sql = self._insert_sql[count] = (
                f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) VALUES "
                + ",".join([self._row_sql] * count)
                + " ON CONFLICT (project_id, external_id) DO NOTHING"
            )
        return sql

    def _execute(self, sql: str, params: Any) -> None:
        cursor = self._driver.cursor()
        try:
            cursor.execute(sql, params)
        finally:
            cursor.close()

    def _store(self, count: int, values: list[Any], gold: str | None) -> None:
        cursor = self._driver.cursor()
        try:
            cursor.execute(self._insert(count), values)
            self.written.created += cursor.rowcount
            if gold is not None:
                cursor.execute(self.GOLD, {**self._gold_params, "gold": gold})
                self.written.gold_set += cursor.rowcount
        finally:
            cursor.close()

    def finish(self) -> Written:
        self._thread.wait()
        return self.written

    def close(self) -> None:
        self._thread.stop()
        # The driver keeps every statement it prepares, and a multi-row INSERT takes about
        # 2 KB per row (20 MB for 10,000): the connection goes rather than back to the pool
        # holding them, and the import's cache_size goes with it.
        self._conn.invalidate()
