"""Request bodies against an outsider: a 200 MB body with a junk token is refused without being
read, bodies are capped per route, and an API write without any credential gets its 401 before
a byte of body is taken.

The app is driven as ASGI directly (the test client would read the whole body up front), with a
`receive` that hands out the body chunk by chunk and counts what the app took."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import orjson
import pytest

from labelcrew.app import create_app
from labelcrew.config import Settings
from labelcrew.services.accounts import users as accounts
from tests.integration.team import build

CHUNK = 64 * 1024
HUGE = 200 * 1024 * 1024  # 3,200 chunks
VALUE = orjson.dumps({"value": {"sentiment": "positive"}})


class Upload:
    """One request's body as the server would pass it on, counting the chunks taken."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.taken = 0
        self.done = False

    async def receive(self) -> dict[str, Any]:
        if self.done:
            await anyio.sleep(3600)  # a client that sent everything just waits for the answer
        chunk = next(self.chunks, None)
        if chunk is None:
            self.done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        self.taken += 1
        return {"type": "http.request", "body": chunk, "more_body": True}


def _endless(size: int) -> Iterator[bytes]:
    block = b"x" * CHUNK
    for _ in range(size // CHUNK):
        yield block


def _file_part(size: int) -> Iterator[bytes]:
    """A well-formed multipart upload of one endless file."""
    yield (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="items.jsonl"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    yield from _endless(size)


def _one(body: bytes) -> Iterator[bytes]:
    yield body


def drive(
    app: Any,
    path: str,
    upload: Upload,
    headers: dict[str, str],
    method: str = "POST",
) -> tuple[int, dict[str, str], dict[str, Any]]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("203.0.113.9", 4000),
        "server": ("testserver", 80),
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        with anyio.fail_after(60):  # a hang is a failure, not a timing assertion
            await app(scope, upload.receive, send)

    # In a thread of its own: a session-scoped browser fixture (Playwright's sync API) may keep
    # an event loop running in the test thread, and anyio.run refuses to nest.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(anyio.run, run).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    heads = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], heads, orjson.loads(body) if body else {}


@pytest.fixture
def setup(db: Any) -> tuple[Any, Any, str]:
    team = build(db, annotators=1, items=2)
    token = accounts.issue_token(db, None, user_id=team.annotators[0].user_id)
    return team, create_app(db=db), token


def _submit_path(team: Any, item: int = 1) -> str:
    return f"/api/v1/projects/{team.project_id}/items/{item}/annotations"


JUNK = {"Authorization": "Bearer lc_junk", "Content-Type": "application/json"}


def test_a_declared_200_mb_body_with_a_junk_token_is_refused_unread(setup: Any) -> None:
    team, app, _ = setup
    upload = Upload(_endless(HUGE))
    status, _, body = drive(app, _submit_path(team), upload, {**JUNK, "Content-Length": str(HUGE)})
    assert status == 413 and body["code"] == "body_too_large"
    assert body["details"]["limit_bytes"] == 1 << 20
    assert upload.taken == 0


def test_a_streamed_200_mb_submit_with_a_junk_token_gets_401_after_one_chunk(
    setup: Any,
) -> None:
    team, app, _ = setup
    upload = Upload(_endless(HUGE))
    status, heads, body = drive(app, _submit_path(team), upload, JUNK)  # chunked: no length
    assert status == 401 and body["code"] == "invalid_token"
    assert heads["www-authenticate"] == "Bearer"
    assert upload.taken == 1  # the server's first buffer, no more


def test_a_streamed_body_over_the_cap_is_cut_off_at_the_cap(setup: Any) -> None:
    _, app, token = setup
    upload = Upload(_endless(HUGE))
    # A FastAPI route (not the lane): it reads its body before its dependencies run.
    status, _, body = drive(
        app, "/api/v1/projects", upload, {**JUNK, "Authorization": f"Bearer {token}"}
    )
    assert status == 413 and body["code"] == "body_too_large"
    assert (upload.taken - 1) * CHUNK <= 1 << 20  # nothing read past the chunk that crossed


@pytest.mark.parametrize("authorization", [None, "", "  "])
def test_an_api_write_without_any_credential_is_refused_before_its_body(
    setup: Any, authorization: str | None
) -> None:
    team, app, _ = setup
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    for path in ("/api/v1/projects", _submit_path(team), "/api/v1/users"):
        upload = Upload(_endless(HUGE))
        status, heads, body = drive(app, path, upload, headers)
        assert (status, body["code"], upload.taken) == (401, "unauthenticated", 0), path
        assert heads["www-authenticate"] == "Bearer"


def test_the_import_upload_checks_the_token_before_taking_the_body(setup: Any) -> None:
    team, app, _ = setup
    upload = Upload(_endless(HUGE))
    path = f"/api/v1/projects/{team.project_id}/items:import"
    status, _, body = drive(app, path, upload, {**JUNK, "Content-Type": "multipart/form-data"})
    assert status == 401 and body["code"] == "invalid_token"
    assert upload.taken == 0


def test_the_import_upload_has_its_own_cap(db: Any) -> None:
    team = build(db, annotators=0, items=0)
    token = accounts.issue_token(db, None, user_id=team.lead.user_id)
    app = create_app(db=db, settings=Settings(max_body_bytes=1024, max_import_bytes=4 * CHUNK))
    path = f"/api/v1/projects/{team.project_id}/items:import"
    multipart = "multipart/form-data; boundary=B"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": multipart}
    declared = {**headers, "Content-Length": str(4 * CHUNK + 1)}
    status, _, body = drive(app, path, Upload(_endless(HUGE)), declared)
    assert status == 413 and body["details"]["limit_bytes"] == 4 * CHUNK
    upload = Upload(_file_part(HUGE))
    status, _, body = drive(app, path, upload, headers)
    assert status == 413 and body["code"] == "body_too_large"
    assert upload.taken == 5  # the head and 4 chunks: over the cap by the head; no more read


def test_honest_requests_still_pass(setup: Any) -> None:
    team, app, token = setup
    bearer = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, _, lease = drive(
        app, f"/api/v1/projects/{team.project_id}/next", Upload(iter(())), bearer
    )
    assert status == 200
    item = lease["item"]["id"]
    # A submit that comes in two chunks (the lane then authenticates before the rest).
    half = len(VALUE) // 2
    upload = Upload(iter([VALUE[:half], VALUE[half:]]))
    status, _, body = drive(app, _submit_path(team, item), upload, bearer)
    assert status == 201 and body["created"] is True
    # Sign-in needs no credential; its wrong password is the route's own 401.
    sign_in = orjson.dumps({"username": "ann0", "password": "wrong-password"})
    status, _, body = drive(
        app, "/api/v1/session", Upload(_one(sign_in)), {"Content-Type": "application/json"}
    )
    assert status == 401 and body["code"] == "bad_credentials"
