"""`labelcrew import` and `labelcrew bench import` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from labelcrew.benchmarks import importing as bench
from labelcrew.db.models.core import Item
from labelcrew.services.accounts.users import Actor, create_user
from labelcrew.services.projects.projects import create_project
from tests.conftest import BACKENDS, PG_URL

ROWS = [
    {"id": "a", "data": {"text": "one"}, "batch": "w1"},
    {"id": "b", "data": {"text": "two"}, "priority": 3},
    {"id": "c", "data": {"text": "three"}, "skills": ["de"]},
]


@pytest.fixture
def cli(db, monkeypatch):
    from labelcrew.cli import app, importing

    admin = create_user(db, None, username="admin", password="a-long-password", is_admin=True)
    create_project(db, Actor(admin.id, admin.username, True), slug="demo", name="Demo")
    monkeypatch.setattr(importing, "get_db", lambda: db)  # the test's database and clock
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def write(path: Path, rows: list[dict | str]) -> Path:
    path.write_bytes(
        b"".join((r.encode() if isinstance(r, str) else orjson.dumps(r)) + b"\n" for r in rows)
    )
    return path


def external_ids(db) -> list[str]:
    with db.uow(read_only=True) as uow:
        return list(uow.session.scalars(select(Item.external_id).order_by(Item.id)))


def test_import_prints_a_summary_and_a_second_run_changes_nothing(cli, db, tmp_path):
    file = write(tmp_path / "items.jsonl", ROWS)
    first = cli("import", "demo", str(file))
    assert first.exit_code == 0, first.output
    assert "created" in first.output and "batches created" in first.output
    again = cli("import", "demo", str(file), "--json")
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout.strip().splitlines()[-1])
    assert (report["rows_read"], report["created"], report["unchanged"]) == (3, 0, 3)
    assert external_ids(db) == ["a", "b", "c"]


def test_a_bad_file_is_refused_with_every_bad_line_and_imports_nothing(cli, db, tmp_path):
    file = write(tmp_path / "bad.jsonl", [ROWS[0], "{oops", {"id": "x", "priority": "soon"}])
    refused = cli("import", "demo", str(file))
    assert refused.exit_code == 1
    assert "line 2: invalid JSON" in refused.output
    assert "line 3 [priority]" in refused.output
    assert "import refused" in refused.output and "nothing was imported" in refused.output
    assert external_ids(db) == []


def test_skip_invalid_imports_the_good_rows_and_writes_the_rejects_beside_the_file(
    cli, db, tmp_path
):
    file = write(tmp_path / "mixed.jsonl", [ROWS[0], "{oops", ROWS[1]])
    done = cli("import", "demo", str(file), "--skip-invalid")
    assert done.exit_code == 0, done.output
    rejects = tmp_path / "mixed.jsonl.rejects.jsonl"
    assert [orjson.loads(line)["line"] for line in rejects.read_bytes().splitlines()] == [2]
    assert external_ids(db) == ["a", "b"]
    # A clean run leaves no empty reject file behind.
    clean = write(tmp_path / "clean.jsonl", [ROWS[2]])
    assert cli("import", "demo", str(clean), "--skip-invalid").exit_code == 0
    assert not (tmp_path / "clean.jsonl.rejects.jsonl").exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_bench_import_measures_a_small_file(backend: str, pg_template: str | None) -> None:
    """Not a timed test: the figures are measured and consistent, on a small file."""
    if backend == "postgres" and pg_template is None:
        pytest.skip("PostgreSQL unreachable (allowed outside CI only)")
    result = bench.run(2000, backend, PG_URL)
    assert (result["created"], result["gold_set"], result["items"]) == (2000, 20, 2000)
    assert result["tasks_per_s"] > 0
    assert result["ratio_vs_reference"] == pytest.approx(result["tasks_per_s"] / 5000, abs=0.06)
    assert result["cpu_seconds"] > 0 and 0 < result["peak_rss_mb"] < 500
    if backend == "postgres":
        assert result["server_cpu_seconds"] > 0  # the server's share, read from /proc
    else:
        assert result["server_cpu_seconds"] is None
