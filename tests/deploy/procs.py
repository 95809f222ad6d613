"""Plain processes of the production topology for the deploy tests: `labelcrew serve` and
`labelcrew worker` started as an operator (or the compose file) starts them, on a fresh
PostgreSQL database made for the test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import BACKENDS, IN_CI, PG_URL

REPO = Path(__file__).resolve().parents[2]
SECRET = "deploy-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """An empty PostgreSQL database (no migrations run): what a first deployment starts on."""
    if "postgres" not in BACKENDS:
        pytest.skip("PostgreSQL backend not selected")
    admin = create_engine(
        make_url(PG_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    name = f"lc_deploy_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def environment(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABELCREW_")}
    env.update(
        LABELCREW_DATABASE_URL=database_url,
        LABELCREW_DATA_DIR=str(data_dir),
        LABELCREW_SECRET_KEY=SECRET,
        LABELCREW_ENVIRONMENT="production",
        LABELCREW_ARGON2_TIME_COST="1",
        LABELCREW_ARGON2_MEMORY_KIB="8192",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


class Proc:
    """One `labelcrew ...` process; its output goes to a file the failure message shows."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.log = args, log
        self._out = log.open("wb")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "labelcrew.cli", *args],
            env=env,
            cwd=REPO,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stopping it stops uvicorn's children too
        )

    def output(self) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 20.0) -> int:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout)
        self._out.close()
        return self.popen.returncode


def wait_healthy(port: int, proc: Proc, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise AssertionError(f"{proc.args} exited {proc.popen.returncode}:\n{proc.output()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{proc.args} not healthy after {timeout} s:\n{proc.output()}")
