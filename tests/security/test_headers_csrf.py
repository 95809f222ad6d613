"""Security headers on every response, no inline script for the CSP to allow, and CSRF checked
whenever the session cookie rides, whatever the Authorization header says."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from labelcrew.app import create_app
from labelcrew.services.accounts import users as accounts
from tests.integration.team import PASSWORD, build

TEMPLATES = Path(__file__).resolve().parents[2] / "labelcrew" / "web" / "templates"


def _policy(response: Any) -> dict[str, str]:
    raw = response.headers["content-security-policy"]
    return dict(part.strip().partition(" ")[::2] for part in raw.split(";"))


def _assert_headers(response: Any) -> None:
    policy = _policy(response)
    assert policy["script-src"] == "'self'", policy
    assert "unsafe-inline" not in policy["default-src"]
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"


def test_every_kind_of_response_carries_the_headers(db: Any) -> None:
    team = build(db, annotators=1, items=1)
    client = TestClient(create_app(db=db))
    token = accounts.issue_token(db, None, user_id=team.annotators[0].user_id)
    bearer = {"Authorization": f"Bearer {token}"}
    answers = [
        client.get("/login"),  # a page
        client.get("/healthz"),
        client.get("/static/app.css"),
        client.get("/no/such/page"),  # 404
        client.get("/api/v1/me"),  # 401 from a route
        client.post("/api/v1/projects", json={}),  # 401 before the body (body_limits)
        client.post(f"/api/v1/projects/{team.project_id}/next", headers=bearer),  # the hot lane
        client.post("/api/v1/projects", content=b"x" * (2 << 20), headers=bearer),  # 413
        client.post("/login", data={"username": "x", "password": "y"}),  # 403 csrf_failed
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 404, 401, 401, 200, 413, 403]
    for answer in answers:
        _assert_headers(answer)


class _InlineScript(HTMLParser):
    """Script a CSP without 'unsafe-inline' would block: inline script elements (data
    blocks of type application/json excepted), on* handler attributes, javascript: URLs,
    and style attributes (kept out so style-src could tighten later)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=...>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")
        if tag == "script":
            self.in_script = "src" not in values and values.get("type") != "application/json"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:40]}")


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_hold_no_inline_script(template: str) -> None:
    # Jinja blocks are stripped first: the parser needs plain HTML.
    text = re.sub(r"{[{%#].*?[}%#]}", "", (TEMPLATES / template).read_text(), flags=re.S)
    parser = _InlineScript()
    parser.feed(text)
    assert parser.found == []


def _session_client(db: Any) -> tuple[TestClient, str, int]:
    team = build(db, annotators=1, items=1)
    client = TestClient(create_app(db=db))
    signed = client.post("/api/v1/session", json={"username": "ann0", "password": PASSWORD})
    assert signed.status_code == 200
    client.get("/")  # the CSRF cookie
    csrf = client.cookies.get("labelcrew_csrf")
    assert csrf
    return client, csrf, team.annotators[0].user_id


@pytest.mark.parametrize(
    "authorization", ["", " ", "Bearer", "Bearer ", "Bearer junk", "Basic Zm9vOmJhcg=="]
)
def test_a_session_cookie_is_csrf_checked_whatever_authorization_says(
    db: Any, authorization: str
) -> None:
    client, _, user_id = _session_client(db)
    answer = client.post(
        f"/api/v1/users/{user_id}/tokens",
        json={"name": "forged"},
        headers={"Authorization": authorization},
    )
    assert answer.status_code == 403 and answer.json()["code"] == "csrf_failed"


def test_a_session_with_its_csrf_token_passes_and_a_bearer_without_cookie_skips(db: Any) -> None:
    client, csrf, user_id = _session_client(db)
    url = f"/api/v1/users/{user_id}/tokens"
    ok = client.post(url, json={"name": "mine"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
    bearer = TestClient(client.app)  # no cookies at all
    token = ok.json()["token"]
    answer = bearer.post(url, json={"name": "cli"}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201
    # A valid bearer token does not excuse the cookie either.
    forged = client.post(url, json={"name": "x"}, headers={"Authorization": f"Bearer {token}"})
    assert forged.status_code == 403 and forged.json()["code"] == "csrf_failed"
