"""What a server process takes from its settings: the handler thread pool and the pool of
database connections."""

from __future__ import annotations

import anyio.to_thread
from fastapi.testclient import TestClient

from labelcrew.app import create_app
from labelcrew.config import Settings


def test_the_handler_thread_pool_has_the_configured_size(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LABELCREW_INPROCESS_WORKER", "false")  # no database here
    settings = Settings(data_dir=tmp_path, worker_threads=5)
    with TestClient(create_app(settings=settings)) as client:
        assert client.get("/healthz").status_code == 200
        assert client.portal is not None
        tokens = client.portal.call(
            lambda: anyio.to_thread.current_default_thread_limiter().total_tokens
        )
    assert tokens == 5


def test_the_connection_pool_has_the_configured_size(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, db_pool_size=7)
    app = create_app(settings=settings)
    try:
        assert app.state.db.engine.pool.size() == 7
    finally:
        app.state.db.engine.dispose()
