"""Benchmark: the project dashboard's metrics over a million annotations, cold.

The parent creates a throwaway database (PostgreSQL on 127.0.0.1:5432 by default, or a
temporary SQLite file), migrates it, makes the project through the services and bulk-loads
the rest with COPY (SQLite: executemany): `members` annotators, `annotations / overlap`
items (5 % gold) in 20 batches, and `annotations` labels spread over 90 days up to now with
lognormal lease-to-submit times, four queue types, 2 % superseded labels, some live leases
and one alpha snapshot a day. It then builds the rollups once (`metrics_rollup.refresh`,
timed: the first refresh does the bulk of the work once; later ones only see new labels).

Each measurement runs in a fresh child process (`python -m labelcrew.benchmarks.metrics`)
with a new engine (opening the connection is inside the timing), so no connection, session
state, prepared statement or Python cache is warm; PostgreSQL's shared
buffers still hold what the parent touched, which a restart would also drop. The child
times `project_metrics` for the dashboard (the last 28 days, by day) on the rollups, then
the same call computed live from `annotations` (the reference: what the call costs without
the rollups), then a per-member breakdown (live by design). Besides wall time it reports the
child's CPU time: on a loaded machine wall time also counts waiting for a CPU.

Goal: the dashboard under 1 s cold with 1,000,000 annotations in PostgreSQL.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
OPTIONS = ["positive", "negative", "neutral"]
SCHEMA = {"fields": [{"name": "sentiment", "kind": "single_choice", "options": OPTIONS}]}
QUEUES = np.array(["annotation", "relabel", "review", "calibration"])
DAYS = 90


def _seed(url: str, annotations: int, members: int, overlap: int, seed: int) -> int:
    from sqlalchemy import text

    from labelcrew.db.engine import make_engine
    from labelcrew.db.migrate import upgrade
    from labelcrew.services.accounts import users as accounts
    from labelcrew.services.accounts.users import Actor
    from labelcrew.services.projects import projects
    from labelcrew.services.uow import Database

    engine = make_engine(url)
    upgrade(engine)
    db = Database(engine)
    admin = accounts.create_user(db, None, username="bench", password="bench-pass-1", is_admin=True)
    project = projects.create_project(
        db,
        Actor(admin.id, admin.username, True),
        slug="bench",
        name="Bench",
        schema=SCHEMA,
        overlap=overlap,
    )
    pid = int(project["id"])
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    n_items = annotations // overlap
    with engine.begin() as conn:
        first_user = int(conn.execute(text("SELECT max(id) FROM users")).scalar_one()) + 1
    user_ids = np.arange(first_user, first_user + members)
    iso = now.isoformat()
    tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {
        "users": (
            [
                "id",
                "username",
                "display_name",
                "password_hash",
                "is_admin",
                "is_active",
                "created_at",
            ],
            [(int(u), f"m{u}", "", "x", False, True, iso) for u in user_ids],
        ),
        "members": (
            [
                "project_id",
                "user_id",
                "roles",
                "status",
                "skills",
                "served_since_gold",
                "created_at",
            ],
            [(pid, int(u), '["annotator"]', "active", "{}", 0, iso) for u in user_ids],
        ),
        "batches": (
            ["id", "project_id", "name", "state", "handoff_note", "created_at", "updated_at"],
            [(b + 1, pid, f"batch-{b:02d}", "open", "", iso, iso) for b in range(20)],
        ),
    }
    with engine.begin() as conn:
        for name, (cols, rows) in tables.items():
            _copy(conn, name, cols, rows, sqlite=db.is_sqlite)
    gold = rng.random(n_items) < 0.05
    truth = rng.integers(0, 3, n_items)
    item_rows = [
        (
            i + 1,
            pid,
            f"x{i}",
            '{"text": "t"}',
            0,
            "[]",
            int(i % 20) + 1,
            "normal",
            bool(gold[i]),
            overlap,
            overlap,
            "done",
            iso,
        )
        for i in range(n_items)
    ]
    with engine.begin() as conn:
        _copy(
            conn,
            "items",
            [
                "id",
                "project_id",
                "external_id",
                "payload",
                "priority",
                "required_skills",
                "batch_id",
                "difficulty",
                "is_gold",
                "overlap_target",
                "annotation_count",
                "state",
                "created_at",
            ],
            item_rows,
            sqlite=db.is_sqlite,
        )
        for i in np.flatnonzero(gold)[:1000]:
            conn.execute(
                text("INSERT INTO gold_answers (item_id, value, created_at) VALUES (:i, :v, :t)"),
                {"i": int(i) + 1, "v": json.dumps({"sentiment": OPTIONS[truth[i]]}), "t": now},
            )
    total = n_items * overlap
    item_of = np.repeat(np.arange(1, n_items + 1), overlap)
    # distinct annotators per item: a random start and consecutive members
    starts = rng.integers(0, members, n_items)
    who = user_ids[(np.repeat(starts, overlap) + np.tile(np.arange(overlap), n_items)) % members]
    correct = rng.random(total) < 0.85
    answer = np.where(correct, np.repeat(truth, overlap), rng.integers(0, 3, total))
    seconds_ago = np.sort(rng.random(total))[::-1] * DAYS * 86400
    at = [now - timedelta(seconds=float(s)) for s in seconds_ago]
    duration = np.maximum(rng.lognormal(np.log(20_000), 0.6, total).astype(np.int64), 500)
    queue = QUEUES[np.minimum(rng.geometric(0.75, total) - 1, 3)]
    superseded = rng.random(total) < 0.02
    is_gold = np.repeat(gold, overlap)
    rows = [
        (
            pid,
            int(item_of[k]),
            int(who[k]),
            f'{{"sentiment": "{OPTIONS[answer[k]]}"}}',
            1,
            str(queue[k]),
            int(duration[k]),
            (bool(correct[k]) if is_gold[k] else None),
            at[k].isoformat(),
            at[k].isoformat() if superseded[k] else None,
        )
        for k in range(total)
    ]
    with engine.begin() as conn:
        _copy(
            conn,
            "annotations",
            [
                "project_id",
                "item_id",
                "annotator_id",
                "value",
                "schema_version",
                "queue",
                "duration_ms",
                "gold_correct",
                "created_at",
                "superseded_at",
            ],
            rows,
            sqlite=db.is_sqlite,
        )
        leases = [
            (
                pid,
                int(i),
                int(user_ids[(starts[i - 1] + overlap) % members]),
                "annotation",
                "leased",
                iso,
                (now + timedelta(minutes=15)).isoformat(),
            )
            for i in range(1, min(n_items, 300) + 1)
        ]
        _copy(
            conn,
            "assignments",
            ["project_id", "item_id", "annotator_id", "queue", "state", "leased_at", "expires_at"],
            leases,
            sqlite=db.is_sqlite,
        )
        snaps = [
            (
                pid,
                "alpha",
                "project",
                float(0.7 + 0.1 * rng.random()),
                1000,
                "{}",
                (now - timedelta(days=d)).isoformat(),
            )
            for d in range(DAYS)
        ]
        _copy(
            conn,
            "quality_snapshots",
            ["project_id", "metric", "subject", "value", "n", "details", "at"],
            snaps,
            sqlite=db.is_sqlite,
        )
        if not db.is_sqlite:
            for name in ("users", "batches", "items"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
                )
    if not db.is_sqlite:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return pid


def _copy(
    conn: Any, table: str, cols: list[str], rows: list[tuple[Any, ...]], *, sqlite: bool
) -> None:
    from sqlalchemy import text

    if not rows:
        return
    if sqlite:

        def plain(v: Any) -> Any:  # SQLite stores naive UTC text
            if isinstance(v, str) and len(v) > 19 and v[10] == "T" and v.endswith("+00:00"):
                return v[:-6].replace("T", " ")
            return v

        conn.execute(
            text(
                f"INSERT INTO {table} ({', '.join(cols)}) "
                f"VALUES ({', '.join(':' + c for c in cols)})"
            ),
            [{c: plain(v) for c, v in zip(cols, row, strict=True)} for row in rows],
        )
        return
    raw = conn.connection.driver_connection
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row))
        buf.write("\n")
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        copy.write(buf.getvalue())


def child(url: str, project_id: int) -> dict[str, Any]:
    """Runs in a fresh process: time the dashboard on rollups, the live reference and the
    per-member breakdown, each with a new engine."""
    from labelcrew.db.engine import make_engine
    from labelcrew.services.metrics import dashboard as metrics
    from labelcrew.services.uow import Database

    out: dict[str, Any] = {}
    for name, kwargs in (
        ("dashboard_rollups", {}),
        ("dashboard_live", {"live": True}),
        ("by_member_live", {"group_by": "member"}),
    ):
        db = Database(make_engine(url))  # no pooled connection yet: connecting is timed
        start, cpu = time.perf_counter(), time.process_time()
        result = metrics.project_metrics(db, project_id, **kwargs)
        out[f"{name}_s"] = round(time.perf_counter() - start, 3)
        out[f"{name}_cpu_s"] = round(time.process_time() - cpu, 3)
        out[f"{name}_labels"] = result["labels"]
        db.engine.dispose()
    return out


def run(
    annotations: int = 1_000_000,
    backend: str = "postgres",
    members: int = 50,
    overlap: int = 3,
    seed: int = 0,
    pg_url: str = DEFAULT_PG,
) -> dict[str, Any]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    tmp = tempfile.TemporaryDirectory()
    admin = None
    if backend == "postgres":
        name = f"lc_bench_metrics_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        base = make_url(pg_url).set(drivername="postgresql+psycopg")
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp.name}/bench.db"
    try:
        started = time.perf_counter()
        pid = _seed(url, annotations, members, overlap, seed)
        seeded = time.perf_counter() - started
        from labelcrew.db.engine import make_engine
        from labelcrew.services.metrics import rollup as metrics_rollup
        from labelcrew.services.uow import Database

        db = Database(make_engine(url))
        started = time.perf_counter()
        metrics_rollup.refresh(db, pid)
        first_refresh = time.perf_counter() - started
        db.engine.dispose()
        done = subprocess.run(
            [sys.executable, "-m", "labelcrew.benchmarks.metrics", url, str(pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the metrics child failed:\n{done.stderr}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        tmp.cleanup()
    return {
        "benchmark": "metrics",
        "backend": backend,
        "annotations": annotations,
        "members": members,
        "overlap": overlap,
        "seed_s": round(seeded, 1),
        "first_refresh_s": round(first_refresh, 2),
        **figures,
        "goal_s": 1.0,
        "load_average_1m": round(os.getloadavg()[0], 1),
        "cpus": os.cpu_count(),
        "reference": "the same dashboard call computed live from annotations (no rollups)",
        "ratio_live_over_rollups": round(
            figures["dashboard_live_s"] / max(figures["dashboard_rollups_s"], 1e-9), 1
        ),
    }


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], int(sys.argv[2]))))
