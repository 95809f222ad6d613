"""Benchmark: the assignment hot path over real HTTP, next -> submit, against Label Studio.

A fresh database (a SQLite file in a temporary directory, or a throwaway PostgreSQL database
created and dropped here) is seeded through the services with one project, N annotators with
API tokens and M items. A real server process (uvicorn, the production app factory) serves it on
a free local port; N HTTP clients, one thread each, spread over several processes when N >= 8 so
the client side is not the bottleneck, loop next -> submit for S seconds. Afterwards the database
is checked for duplicates: items with more live annotations than the overlap, and (item,
annotator) pairs labeled twice.

Reference: Label Studio 1.23 serves 3.2 items/s to one annotator and double-assigns under 8
concurrent annotators; the JSON gives the ratio of our per-annotator rate to 3.2.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from labelcrew.benchmarks.assign_client import drive
from labelcrew.db.engine import make_engine
from labelcrew.db.migrate import upgrade
from labelcrew.db.models.core import Annotation, Item
from labelcrew.services.accounts import users as accounts
from labelcrew.services.accounts.users import Actor
from labelcrew.services.projects import projects
from labelcrew.services.uow import Database

REFERENCE = "Label Studio 1.23"
REFERENCE_ITEMS_PER_S = 3.2
REFERENCE_NOTE = (
    "Label Studio 1.23 serves 3.2 items/s to one annotator and double-assigns "
    "under 8 concurrent annotators"
)
SCHEMA: dict[str, Any] = {
    "fields": [
        {
            "name": "sentiment",
            "kind": "single_choice",
            "options": ["positive", "negative", "neutral"],
        },
    ]
}


@dataclass
class Seeded:
    url: str
    project_id: int
    tokens: list[str]


@contextmanager
def fresh_database(backend: str, pg_admin_url: str, data_dir: str | None = None) -> Iterator[str]:
    """A migrated, empty database URL; removed afterwards. `data_dir` places the SQLite file
    (default: the system temp dir); a tmpfs there shows the cost without fsync."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="lc-bench-", dir=data_dir) as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            _migrate(url)
            yield url
        return
    if backend != "postgres":
        raise ValueError(f"--db must be sqlite or postgres, not {backend!r}")
    admin_url = make_url(pg_admin_url).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"lc_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def seed(url: str, *, annotators: int, items: int, overlap: int) -> Seeded:
    """One project, `annotators` members with tokens, `items` open items (bulk inserted)."""
    engine = make_engine(url)
    db = Database(engine)
    try:
        password = uuid.uuid4().hex
        admin_user = accounts.create_user(
            db, None, username="bench-admin", password=password, is_admin=True
        )
        admin = Actor(admin_user.id, admin_user.username, True)
        project = projects.create_project(
            db,
            admin,
            slug="bench",
            name="Assignment benchmark",
            schema=SCHEMA,
            overlap=overlap,
            gold_rate=0.0,
            probation_gold_rate=0.0,
        )
        tokens = []
        for i in range(annotators):
            user = accounts.create_user(db, admin, username=f"annotator{i}", password=password)
            projects.set_member(
                db, admin, project["id"], username=user.username, roles=["annotator"]
            )
            tokens.append(accounts.issue_token(db, admin, user_id=user.id, name="bench"))
        now = datetime.now(UTC)
        with db.uow() as uow:
            for start in range(0, items, 5_000):
                uow.session.execute(
                    insert(Item),
                    [
                        {
                            "project_id": project["id"],
                            "external_id": f"b{i}",
                            "payload": {"text": f"benchmark item {i}"},
                            "priority": 0,
                            "required_skills": [],
                            "overlap_target": overlap,
                            "created_at": now,
                        }
                        for i in range(start, min(items, start + 5_000))
                    ],
                )
            uow.commit()
        return Seeded(url, project["id"], tokens)
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(
    url: str,
    *,
    workers: int,
    app: str | None = None,
    factory: bool = True,
) -> Iterator[tuple[str, int]]:
    """A real server process on a free port, up once /healthz answers: (base URL, pid).

    Without `app`: the production command, `labelcrew serve --workers N` (so N > 1 measures
    the processes and shared metrics an operator runs); with one: that ASGI app under uvicorn.
    """
    port = free_port()
    scratch = tempfile.TemporaryDirectory(prefix="lc-bench-serve-")
    env = {**os.environ, "LABELCREW_DATABASE_URL": url, "LABELCREW_DATA_DIR": scratch.name}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # `serve` gives its processes their own
    if app is None:
        command = [sys.executable, "-m", "labelcrew.cli", "serve", "--workers", str(workers)]
        command += ["--host", "127.0.0.1", "--port", str(port)]
    else:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            *(["--factory"] if factory else []),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
    proc = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with code {proc.returncode}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1.0) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer /healthz within 60 s")
            time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        scratch.cleanup()


def check(url: str, project_id: int, overlap: int) -> dict[str, int]:
    """Duplicates as the database sees them after the run."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            live = (
                select(Annotation.item_id, func.count().label("n"))
                .where(Annotation.project_id == project_id, Annotation.superseded_at.is_(None))
                .group_by(Annotation.item_id)
                .subquery()
            )
            over = conn.scalar(select(func.count()).select_from(live).where(live.c.n > overlap))
            pairs = (
                select(Annotation.item_id)
                .where(Annotation.project_id == project_id)
                .group_by(Annotation.item_id, Annotation.annotator_id)
                .having(func.count() > 1)
                .subquery()
            )
            twice = conn.scalar(select(func.count()).select_from(pairs))
            stored = conn.scalar(
                select(func.count())
                .select_from(Annotation)
                .where(Annotation.project_id == project_id)
            )
    finally:
        engine.dispose()
    return {
        "items_over_overlap": int(over or 0),
        "pairs_twice": int(twice or 0),
        "stored": int(stored or 0),
    }


def process_tree_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process and its children (Linux /proc); None elsewhere."""
    proc = Path("/proc")
    if not (proc / str(pid) / "stat").exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def cpu_ms_per_item(before: float | None, after: float | None, items: int) -> float | None:
    """Server CPU per item between two `process_tree_cpu` readings (None when unreadable)."""
    if before is None or after is None or not items:
        return None
    return round((after - before) / items * 1000, 3)


def _ms(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)) * 1000, 2) if values else None


def run(
    backend: str,
    annotators: int,
    items: int,
    seconds: float,
    overlap: int,
    *,
    pg_admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres",
    server_workers: int = 1,
    data_dir: str | None = None,
) -> dict[str, Any]:
    with fresh_database(backend, pg_admin_url, data_dir) as url:
        seeded = seed(url, annotators=annotators, items=items, overlap=overlap)
        with server(url, workers=server_workers) as (base, pid):
            cpu_before = process_tree_cpu(pid)
            results, elapsed = drive(base, seeded.project_id, seeded.tokens, seconds)
            cpu_after = process_tree_cpu(pid)
        found = check(url, seeded.project_id, overlap)
    nexts = [x for r in results for x in r["next"]]
    submits = [x for r in results for x in r["submit"]]
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r["errors"])
    done = sum(r["done"] for r in results)
    rate = done / elapsed if elapsed > 0 else 0.0
    per_annotator = rate / annotators
    server_cpu = cpu_ms_per_item(cpu_before, cpu_after, done)
    return {
        "benchmark": "assign",
        "db": backend,
        "annotators": annotators,
        "items": items,
        "overlap": overlap,
        "seconds": seconds,
        "server_workers": server_workers,
        "data_dir": (data_dir or tempfile.gettempdir()) if backend == "sqlite" else None,
        "elapsed_s": round(elapsed, 3),
        "submitted": done,
        "queue_emptied": any(r["emptied"] for r in results),
        "items_per_s": round(rate, 1),
        "items_per_s_per_annotator": round(per_annotator, 1),
        "next_p50_ms": _ms(nexts, 50),
        "next_p95_ms": _ms(nexts, 95),
        "submit_p50_ms": _ms(submits, 50),
        "submit_p95_ms": _ms(submits, 95),
        # Server CPU per submitted item (next + submit, all worker processes): the figure that
        # does not move with whatever else the machine is doing.
        "server_cpu_ms_per_item": server_cpu,
        "duplicates": found["items_over_overlap"] + found["pairs_twice"],
        "items_over_overlap": found["items_over_overlap"],
        "pairs_twice": found["pairs_twice"],
        "acknowledged_not_stored": max(0, done - found["stored"]),
        "errors": sum(errors.values()),
        "error_codes": dict(errors),
        "reference": REFERENCE_NOTE,
        "reference_items_per_s": REFERENCE_ITEMS_PER_S,
        "ratio_per_annotator_vs_reference": round(per_annotator / REFERENCE_ITEMS_PER_S, 1),
    }
