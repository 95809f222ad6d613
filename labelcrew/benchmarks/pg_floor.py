"""What PostgreSQL alone gives the hot path on this machine (`labelcrew bench pg-floor`).

`bench assign --db postgres --annotators 32` measures the whole system: HTTP clients, the server
and PostgreSQL on the same cores. This benchmark takes the server out: it seeds the same project
(same helper), then lets pgbench (C, one connection per annotator) run the hot path's SQL with
nothing in between, two ways:

- `statements`: the statements the server sends for one item, replayed (pg_floor/statements.sql);
- `functions`: the same reads and writes as two server-side functions, one round trip for next
  and one for submit (pg_floor/functions.sql, calls.sql): the floor of any design that keeps
  them.

One pgbench transaction is one item (next, then a durable submit), so its rate is items/s. The
figure is a ceiling for `bench assign` on the same machine, not a target for it: the server and
the clients need CPU of their own.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from glob import glob
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from labelcrew.benchmarks.assign import fresh_database, seed
from labelcrew.db.engine import make_engine
from labelcrew.db.models.core import Annotation

SQL = Path(__file__).with_name("pg_floor")
TARGET_ITEMS_PER_S = 1000.0  # the goal for 32 annotators on PostgreSQL
VARIANTS = {"statements": ("statements.sql", None), "functions": ("calls.sql", "functions.sql")}


def pgbench_path() -> str:
    found = shutil.which("pgbench") or next(
        iter(sorted(glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None
    )
    if found is None:
        raise RuntimeError(
            "pgbench is not installed (Debian: apt-get install postgresql-client); "
            "it runs the SQL without Python in between"
        )
    return found


def parse_pgbench(output: str) -> dict[str, float]:
    """The figures pgbench prints at the end of a run."""

    def number(pattern: str) -> float:
        found = re.search(pattern, output)
        return float(found.group(1)) if found else 0.0

    return {
        "transactions": number(r"number of transactions actually processed: (\d+)"),
        "failed": number(r"number of failed transactions: (\d+)"),
        "items_per_s": number(r"tps = ([\d.]+) \(without initial connection time\)"),
        "latency_ms": number(r"latency average = ([\d.]+) ms"),
    }


def _pgbench(
    url: str, script: Path, variables: dict[str, int], clients: int, seconds: float
) -> str:
    parts = make_url(url)
    command = [
        pgbench_path(),
        "--no-vacuum",
        "--protocol=prepared",
        f"--client={clients}",
        f"--jobs={min(clients, os.cpu_count() or 1)}",
        f"--time={max(1, round(seconds))}",
        f"--host={parts.host or '127.0.0.1'}",
        f"--port={parts.port or 5432}",
        f"--username={parts.username or 'postgres'}",
        f"--file={script}",
        *[f"--define={name}={value}" for name, value in variables.items()],
        str(parts.database),
    ]
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if "number of transactions actually processed" not in done.stdout:
        raise RuntimeError(f"pgbench failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout + done.stderr


def _annotations(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Annotation)) or 0)


def run(
    *, annotators: int, items: int, seconds: float, pg_admin_url: str, variants: list[str]
) -> dict[str, Any]:
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variant {unknown[0]!r}; choose from {sorted(VARIANTS)}")
    pgbench_path()  # fail before seeding when it is missing
    result: dict[str, Any] = {
        "benchmark": "pg-floor",
        "annotators": annotators,
        "items": items,
        "seconds": seconds,
        "cpu_count": os.cpu_count(),
    }
    with fresh_database("postgres", pg_admin_url) as url:
        seeded = seed(url, annotators=annotators, items=items, overlap=1)
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                first_uid = conn.scalar(
                    text("SELECT min(user_id) FROM members WHERE project_id = :p"),
                    {"p": seeded.project_id},
                )
            variables = {
                "first_uid": int(first_uid),
                "annotators": annotators,
                "project": seeded.project_id,
            }
            for variant in variants:
                script, ddl = VARIANTS[variant]
                if ddl is not None:
                    with engine.begin() as conn:
                        conn.exec_driver_sql((SQL / ddl).read_text())
                before = _annotations(engine)
                out = _pgbench(url, SQL / script, variables, annotators, seconds)
                figures = parse_pgbench(out)
                figures["annotations_written"] = _annotations(engine) - before
                figures["ratio_vs_target"] = round(figures["items_per_s"] / TARGET_ITEMS_PER_S, 3)
                result[variant] = figures
        finally:
            engine.dispose()
    result["target_items_per_s"] = TARGET_ITEMS_PER_S
    result["reference"] = (
        "the issue's target for 32 annotators on PostgreSQL over HTTP: 1,000 items/s; "
        "these rates leave nothing for HTTP, the server or the clients"
    )
    return result
