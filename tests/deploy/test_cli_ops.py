"""Operator commands: the SQLite online backup, `serve --workers` refused on SQLite, and the
dead-letter commands of the worker."""

from __future__ import annotations

import sqlite3

from typer.testing import CliRunner

from labelcrew.cli import app
from labelcrew.config import get_settings


def _env(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LABELCREW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LABELCREW_DATABASE_URL", raising=False)
    get_settings.cache_clear()


def test_backup_copies_a_live_sqlite_database(tmp_path, monkeypatch) -> None:
    _env(tmp_path, monkeypatch)
    runner = CliRunner()
    try:
        made = runner.invoke(app, ["init", "--admin", "root", "--password", "x7#Long-enough-pw"])
        assert made.exit_code == 0, made.output
        target = tmp_path / "copy.db"
        done = runner.invoke(app, ["db", "backup", str(target)])
        assert done.exit_code == 0, done.output
        with sqlite3.connect(target) as copy:
            names = copy.execute("SELECT username FROM users").fetchall()
        assert names == [("root",)]
        again = runner.invoke(app, ["db", "backup", str(target)])
        assert again.exit_code != 0 and "exists" in again.output
    finally:
        get_settings.cache_clear()


def test_backup_of_postgres_points_at_pg_dump(tmp_path, monkeypatch) -> None:
    _env(tmp_path, monkeypatch)
    monkeypatch.setenv("LABELCREW_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    try:
        refused = CliRunner().invoke(app, ["db", "backup", str(tmp_path / "x.db")])
        assert refused.exit_code != 0 and "pg_dump" in refused.output
    finally:
        get_settings.cache_clear()


def test_several_server_processes_on_sqlite_are_refused(tmp_path, monkeypatch) -> None:
    _env(tmp_path, monkeypatch)
    try:
        refused = CliRunner().invoke(app, ["serve", "--workers", "2"])
        assert refused.exit_code != 0 and "PostgreSQL" in refused.output
    finally:
        get_settings.cache_clear()


def test_jobs_list_and_requeue(tmp_path, monkeypatch) -> None:
    _env(tmp_path, monkeypatch)
    runner = CliRunner()
    try:
        unknown = runner.invoke(app, ["jobs", "requeue", "nothing"])
        assert unknown.exit_code == 1 and "job_not_found" in unknown.output
        listed = runner.invoke(app, ["jobs", "list"])
        assert listed.exit_code == 0 and "failures in a row" in listed.output
    finally:
        get_settings.cache_clear()


def test_serve_builds_its_app_with_the_configured_pool(tmp_path, monkeypatch) -> None:
    """`labelcrew serve` once served with the migration engine's pool of 10 connections,
    whatever LABELCREW_DB_POOL_SIZE said."""
    import uvicorn

    _env(tmp_path, monkeypatch)
    monkeypatch.setenv("LABELCREW_DB_POOL_SIZE", "7")
    monkeypatch.setenv("LABELCREW_INPROCESS_WORKER", "false")
    get_settings.cache_clear()
    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    try:
        done = CliRunner().invoke(app, ["serve"])
        assert done.exit_code == 0, done.output
        [server_app] = served
        assert server_app.state.db.engine.pool.size() == 7
        server_app.state.db.engine.dispose()
    finally:
        get_settings.cache_clear()
