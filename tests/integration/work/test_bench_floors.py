"""`labelcrew bench pg-floor` and `http-floor`, briefly: they run, do real work and report it.
Not timed tests: the rates themselves are recorded in bench/RESULTS.md."""

from __future__ import annotations

import shutil
from glob import glob

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from labelcrew.benchmarks import http_floor, pg_floor
from labelcrew.cli import app
from tests.conftest import PG_URL


def test_parse_pgbench_reads_its_summary() -> None:
    out = (
        "number of transactions actually processed: 7086\n"
        "number of failed transactions: 2 (0.028%)\n"
        "latency average = 67.892 ms\n"
        "tps = 471.333780 (without initial connection time)\n"
    )
    assert pg_floor.parse_pgbench(out) == {
        "transactions": 7086.0,
        "failed": 2.0,
        "items_per_s": 471.33378,
        "latency_ms": 67.892,
    }


def test_pg_floor_runs_both_variants(pg_template: str | None) -> None:
    if pg_template is None:
        pytest.skip("PostgreSQL unreachable (allowed outside CI only)")
    if not (shutil.which("pgbench") or glob("/usr/lib/postgresql/*/bin/pgbench")):
        pytest.skip("pgbench is not installed")
    admin = make_url(PG_URL).set(database="postgres").render_as_string(hide_password=False)
    result = pg_floor.run(
        annotators=2,
        items=3000,
        seconds=1,
        pg_admin_url=admin,
        variants=["statements", "functions"],
    )
    for variant in ("statements", "functions"):
        figures = result[variant]
        assert figures["failed"] == 0
        assert figures["transactions"] > 0
        # Every pgbench transaction is one item: its annotation is really in the database.
        assert figures["annotations_written"] == figures["transactions"]
        assert figures["items_per_s"] > 0


def test_pg_floor_refuses_an_unknown_variant() -> None:
    result = CliRunner().invoke(app, ["bench", "pg-floor", "--variant", "stored"])
    assert result.exit_code == 1
    assert "unknown variant 'stored'" in result.output


def test_http_floor_answers_like_the_server() -> None:
    result = http_floor.run(annotators=2, seconds=0.5)
    assert result["errors"] == 0
    assert result["submitted"] > 0
    assert result["server_cpu_ms_per_item"] is not None and result["server_cpu_ms_per_item"] > 0
