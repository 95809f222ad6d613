"""Every page of the demo, as every kind of member sees it, renders under StrictUndefined and
the strict attribute rule of tests/conftest.py: a template that reads a missing name or a
dict's method where it meant a key fails here (issue 17: the dashboard's batch table printed
`0/<built-in method items of dict object at 0x...>`)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from labelcrew.app import create_app
from labelcrew.demo import sentiment as demo
from labelcrew.services.projects import batches, projects
from tests.integration.pages_client import sign_in

PAGES = (
    "/",
    "/account",
    "/projects/{pid}",
    "/projects/{pid}/work",
    "/projects/{pid}/guidelines",
    "/projects/{pid}/dashboard",
    "/projects/{pid}/settings",
    "/projects/{pid}/review",
    "/projects/{pid}/escalations",
    "/projects/{pid}/escalations?state=all",
    "/projects/{pid}/escalations?state=resolved",
    "/admin/users",
    "/admin/users/1",
)
REPR = re.compile(r"<(built-in|bound) method|object at 0x|Undefined")


@pytest.fixture
def demo_app(db):
    demo.seed(db, items_count=60, history_days=2)
    return create_app(db=db), projects.get_project(db, demo.SLUG)["id"]


@pytest.mark.parametrize("username", ["admin", "lead", "olga", "rui", "ana"])
def test_every_page_renders_strictly_for_every_role(db, demo_app, username):
    app, pid = demo_app
    client = sign_in(app, username, demo.PASSWORD)
    for path in PAGES:
        resp = client.get(path.format(pid=pid))
        # 403/404 pages render through error.html, strictly too.
        assert resp.status_code in (200, 403, 404), (path, resp.status_code, resp.text[:300])
        assert not REPR.search(resp.text), (path, REPR.search(resp.text))


def test_the_sign_in_page_renders_strictly(db):
    assert TestClient(create_app(db=db)).get("/login").status_code == 200


def test_dashboard_batch_table_shows_done_of_total(db, demo_app):
    app, pid = demo_app
    page = sign_in(app, "lead", demo.PASSWORD).get(f"/projects/{pid}/dashboard").text
    table = page[page.index('data-testid="batches"') :]
    for b in batches.list_batches(db, pid):
        assert f"{b['items_done']}/{b['items']} (" in table
