"""Benchmark: item import throughput and peak memory, against Label Studio's task import.

The parent writes a JSONL file of `items` synthetic tasks (text payload, priority, skills on
some rows, a batch per 50,000 rows, a gold answer on 1 % of rows) to a temporary directory,
then imports it in a fresh child process (`python -m labelcrew.benchmarks.importing`), so the
child's peak RSS (the kernel's VmHWM) holds the import alone, not the generator. The child
migrates a new database and creates the project before it starts the clock; the clock covers
`import_items` end to end: reading, parsing, checking, inserting and committing.

Besides wall time the child reports its CPU time (user + system, both of its threads: the
import parses on one and stores on the other): on a shared machine the wall time also counts
time spent waiting for a CPU. With PostgreSQL most of the work is the server's, which the
child's CPU time does not include.

Reference: Label Studio 1.23 imports about 5,000 tasks/s on the same kind of machine (the
figure this project was given; Label Studio is not installed or run here).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

REFERENCE = {
    "name": "Label Studio 1.23 task import",
    "tasks_per_s": 5000.0,
    "source": "stated reference figure, not measured here",
}
SCHEMA = {
    "fields": [
        {
            "name": "label",
            "kind": "single_choice",
            "options": ["positive", "negative", "neutral"],
            "required": True,
        }
    ]
}
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
WORDS = (
    "the",
    "delivery",
    "was",
    "late",
    "but",
    "support",
    "answered",
    "quickly",
    "and",
    "refunded",
    "my",
    "order",
    "without",
    "any",
    "questions",
    "asked",
)


def generate(path: Path, items: int) -> int:
    """Write `items` JSONL tasks; return the file size in bytes."""
    with path.open("wb") as fp:
        for n in range(items):
            words = " ".join(WORDS[(n + k * 7) % len(WORDS)] for k in range(14))
            row: dict[str, Any] = {
                "id": f"task-{n:09d}",
                "data": {"text": f"{words} #{n}", "lang": "en"},
                "priority": n % 10,
                "batch": f"batch-{n // 50_000:04d}",
            }
            if n % 20 == 0:
                row["skills"] = ["en", "support"]
            if n % 100 == 0:
                row["gold"] = {"label": ("positive", "negative", "neutral")[n % 3]}
            fp.write(orjson.dumps(row) + b"\n")
    return path.stat().st_size


def child(url: str, path: str) -> dict[str, Any]:
    """Run in the fresh process: migrate, create the project, time the import."""
    from labelcrew.db.engine import make_engine
    from labelcrew.db.migrate import upgrade
    from labelcrew.services.accounts.users import Actor, create_user
    from labelcrew.services.importing.imports import import_items
    from labelcrew.services.projects.projects import create_project
    from labelcrew.services.uow import Database

    engine = make_engine(url)
    upgrade(engine)
    db = Database(engine)
    user = create_user(db, None, username="bench", password="bench-password", is_admin=True)
    actor = Actor(user.id, user.username, True)
    create_project(db, actor, slug="bench", name="Import benchmark", schema=SCHEMA)
    server_start = _server_cpu(engine)
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    with open(path, "rb") as fp:
        report = import_items(db, actor, "bench", fp, filename=Path(path).name)
    seconds = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    server_end = _server_cpu(engine)
    engine.dispose()
    server = (
        sum(used - server_start.get(pid, 0.0) for pid, used in server_end.items())
        if server_end
        else None
    )
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "server_cpu_seconds": server,
        "created": report.created,
        "gold_set": report.gold_set,
        "batches_created": report.batches_created,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    """This process's peak resident set. Linux carries `ru_maxrss` over fork and exec, so a
    child of a big parent (a test run) would report the parent's size; the kernel's VmHWM
    starts afresh with exec. Elsewhere, fall back to getrusage."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _server_cpu(engine: Any) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving the bench database, read from
    /proc (the server runs on this machine); empty for SQLite or when /proc tells nothing."""
    from sqlalchemy import text

    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        pids = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        used: dict[int, float] = {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                return {}
            used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def _postgres_database(base: str) -> tuple[str, Callable[[], None]]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"lc_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


def run(
    items: int, backend: str, pg_url: str | None = None, log: Callable[[str], object] | None = None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="labelcrew-bench-") as tmp:
        path = Path(tmp) / "items.jsonl"
        if log:
            log(f"writing {items:,} tasks to {path} ...")
        size = generate(path, items)
        drop: Callable[[], None] = lambda: None  # noqa: E731
        if backend == "postgres":
            url, drop = _postgres_database(
                pg_url or os.environ.get("LABELCREW_BENCH_PG", DEFAULT_PG)
            )
        else:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        if log:
            log(f"importing into {backend} in a fresh process ...")
        load_before = os.getloadavg()[0]
        try:
            done = subprocess.run(
                [sys.executable, "-m", "labelcrew.benchmarks.importing", url, str(path)],
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            drop()
        if done.returncode != 0:
            raise RuntimeError(f"the import child failed:\n{done.stderr}")
        measured = json.loads(done.stdout.strip().splitlines()[-1])
    rate = measured["created"] / measured["seconds"]
    cpu_rate = measured["created"] / measured["cpu_seconds"]
    return {
        "benchmark": "item import (JSONL)",
        "db": backend,
        "items": items,
        "file_mb": round(size / 2**20, 1),
        "created": measured["created"],
        "gold_set": measured["gold_set"],
        "seconds": round(measured["seconds"], 2),
        "cpu_seconds": round(measured["cpu_seconds"], 2),
        "server_cpu_seconds": (
            None
            if measured["server_cpu_seconds"] is None
            else round(measured["server_cpu_seconds"], 2)
        ),
        "tasks_per_s": round(rate),
        "tasks_per_cpu_s": round(cpu_rate),
        "peak_rss_mb": round(measured["peak_rss_mb"], 1),
        "cpus": os.cpu_count(),
        # Other work on the machine slows the wall clock: the 1-minute load before and after.
        "load_avg_1m_before": round(load_before, 2),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "reference": REFERENCE,
        "ratio_vs_reference": round(rate / REFERENCE["tasks_per_s"], 1),
    }


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], sys.argv[2])))
