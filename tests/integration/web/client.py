"""A TestClient signed in through the sign-in form, as a browser is (session cookie + CSRF)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from labelcrew.app import create_app
from labelcrew.services.uow import Database
from tests.integration.team import PASSWORD


def signed_in(db: Database, username: str) -> TestClient:
    client = TestClient(create_app(db=db), raise_server_exceptions=True)
    client.get("/login")
    form = {
        "username": username,
        "password": PASSWORD,
        "csrf_token": client.cookies["labelcrew_csrf"],
    }
    answer = client.post("/login", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    client.headers["X-CSRF-Token"] = client.cookies["labelcrew_csrf"]
    return client
