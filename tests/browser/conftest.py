"""A real server on a fresh database and Debian's Chromium driven by Playwright.

The server is uvicorn in a thread on 127.0.0.1 (a free port), serving `create_app` over the
`db` fixture, so every browser test runs on SQLite and on PostgreSQL. Chromium is
`/usr/bin/chromium` (Playwright's own browser download does not work here): without it the
tests are skipped locally and fail under CI=true. Set LABELCREW_SCREENSHOTS=<dir> to save a
PNG of each page the tests visit (that is how docs/screenshots/ is made).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from labelcrew.app import create_app
from labelcrew.services.uow import Database
from tests.conftest import IN_CI
from tests.integration.team import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESK = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Server:
    def __init__(self, db: Database) -> None:
        self.db = db
        config = uvicorn.Config(
            create_app(db=db),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            ws="none",
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def server(db: Database) -> Iterator[Server]:
    with Server(db) as running:
        yield running


@pytest.fixture
def open_page(browser: Any, server: Server) -> Iterator[Any]:
    """`open_page(username, viewport=DESK)`: a signed-in page in its own browser context."""
    contexts = []

    def make(username: str | None, viewport: dict[str, int] = DESK) -> Any:
        context = browser.new_context(viewport=viewport, base_url=server.url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if username is not None:
            sign_in(page, username)
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))


def shot(page: Any, name: str, *, full_page: bool = False) -> None:
    """Save a screenshot when LABELCREW_SCREENSHOTS names a directory."""
    folder = os.environ.get("LABELCREW_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)
