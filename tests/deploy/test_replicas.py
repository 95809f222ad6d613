"""Many replicas on one fresh PostgreSQL: starting them together must not crash any of them
(each used to run every migration at once and all but one died on `alembic_version`)."""

from __future__ import annotations

import signal

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from labelcrew.db.migrate import alembic_config, head_revisions
from tests.deploy.procs import Proc, environment, free_port, fresh_postgres, wait_healthy


def test_three_servers_started_at_once_on_a_fresh_database_all_serve(tmp_path) -> None:
    with fresh_postgres() as url:
        env = environment(url, tmp_path / "data")
        ports = [free_port() for _ in range(3)]
        procs = [
            Proc(["serve", "--port", str(p)], env, tmp_path / f"serve{i}.log")
            for i, p in enumerate(ports)
        ]
        try:
            for port, proc in zip(ports, procs, strict=True):
                wait_healthy(port, proc)
        finally:
            codes = [proc.stop() for proc in procs]
        outputs = "\n".join(proc.output() for proc in procs)
        assert "Traceback" not in outputs, outputs
        # uvicorn shuts down cleanly on SIGTERM, then re-raises it: -15 is a clean stop.
        assert set(codes) <= {0, -signal.SIGTERM}, outputs
        engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
        with engine.connect() as conn:
            versions = sorted(
                conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            )
        engine.dispose()
        # Every migration applied, once (alembic_version keeps the heads only, and leaves out
        # a branch head another revision depends on: 0004_loops under 0015_dead_letters).
        script = ScriptDirectory.from_config(alembic_config())
        applied = sorted(r.revision for r in script.iterate_revisions(versions, "base"))
        assert applied == sorted(r.revision for r in script.walk_revisions())
        assert set(head_revisions()) <= set(applied)
