"""A browser-like TestClient for page tests: signed in by session cookie, with the CSRF header
the page scripts send, and the fields of a page's form as a browser would post them."""

from __future__ import annotations

from html.parser import HTMLParser

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.integration.team import PASSWORD


def sign_in(app: FastAPI, username: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(app)
    signed = client.post("/api/v1/session", json={"username": username, "password": password})
    assert signed.status_code == 200, signed.text
    assert client.get("/api/v1/me").status_code == 200  # issues the CSRF cookie
    client.headers["X-CSRF-Token"] = client.cookies["labelcrew_csrf"]
    return client


class _FormFields(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside or "disabled" in a or not a.get("name"):
            return
        if tag == "input" and (a.get("type") not in ("checkbox", "radio") or "checked" in a):
            self.fields.append((a["name"], a.get("value", "")))
        if tag == "textarea":
            self._textarea, self._text = a["name"], []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            # A browser drops the one newline that may follow <textarea>.
            self.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        if tag == "form":
            self.inside = False


def form_fields(html: str, form_id: str) -> list[tuple[str, str]]:
    """What submitting form `form_id` of the page unchanged would post, in document order."""
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.fields


def as_form(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Fields as httpx posts them: each name's values in order (names repeat per rule row)."""
    out: dict[str, list[str]] = {}
    for name, value in fields:
        out.setdefault(name, []).append(value)
    return out
