"""The hot lane answers next and submit exactly as the FastAPI routes do.

Two annotators of one project play the same script: one through the lane (plain bearer POSTs),
one through the routes (a query string sends the same request on to FastAPI). Every answer is
compared: status, error code, field, the keys of the body, the WWW-Authenticate header."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from labelcrew.api import hot_lane
from labelcrew.api.routes import work
from labelcrew.app import create_app
from labelcrew.services.accounts import users as accounts
from tests.integration.team import build

VALUE = {"value": {"sentiment": "positive"}}


def _shape(response: Any) -> tuple[Any, ...]:
    body = response.json()
    return (
        response.status_code,
        body.get("code"),
        body.get("field"),
        body.get("created"),
        tuple(sorted(body)),
        response.headers.get("www-authenticate"),
    )


def _script(client: TestClient, pid: int, suffix: str, bad_token: str) -> list[tuple[Any, ...]]:
    """The same requests for either path; `suffix` is "" (lane) or a query string (routes)."""
    out = []
    lease = client.post(f"/api/v1/projects/{pid}/next{suffix}")
    out.append(_shape(lease))
    item = lease.json()["item"]["id"]
    url = f"/api/v1/projects/{pid}/items/{item}/annotations{suffix}"
    out.append(_shape(client.post(url, json={"value": {"sentiment": "angry"}})))
    out.append(_shape(client.post(url, json={"nothing": 1})))
    out.append(_shape(client.post(url, content=b'{"value": ', headers={"Content-Type": "x"})))
    unknown = f"/api/v1/projects/{pid}/items/999999/annotations{suffix}"
    out.append(_shape(client.post(unknown, json=VALUE)))
    key = {"Idempotency-Key": f"k{suffix}"}
    first = client.post(url, json=VALUE, headers=key)
    again = client.post(url, json=VALUE, headers=key)
    assert again.json()["annotation_id"] == first.json()["annotation_id"]
    out += [_shape(first), _shape(again)]
    out.append(_shape(client.post(url, json=VALUE, headers={"Idempotency-Key": "x" * 201})))
    out.append(_shape(client.post(url, json=VALUE, headers={"Idempotency-Key": f"new{suffix}"})))
    other = client.post(f"/api/v1/projects/{pid}/next{suffix}").json()["item"]["id"]
    reused = f"/api/v1/projects/{pid}/items/{other}/annotations{suffix}"
    out.append(_shape(client.post(reused, json=VALUE, headers=key)))
    out.append(_shape(client.post(f"/api/v1/projects/999999/next{suffix}")))
    stranger = {"Authorization": f"Bearer {bad_token}"}
    out.append(_shape(client.post(f"/api/v1/projects/{pid}/next{suffix}", headers=stranger)))
    out.append(_shape(client.post(url, json={"nothing": 1}, headers=stranger)))
    return out


def _client(db: Any, user_id: int) -> TestClient:
    client = TestClient(create_app(db=db))
    client.headers["Authorization"] = f"Bearer {accounts.issue_token(db, None, user_id=user_id)}"
    return client


def test_lane_and_routes_answer_alike(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    team = build(db, annotators=2, items=10)
    pid = team.project_id
    taken: list[str] = []
    for name in ("_next", "_submit"):
        real = getattr(hot_lane, name)
        monkeypatch.setattr(
            hot_lane, name, lambda *a, _r=real, _n=name, **k: taken.append(_n) or _r(*a, **k)
        )
    lane = _script(_client(db, team.annotators[0].user_id), pid, "", "nope")
    through_lane = len(taken)
    routes = _script(_client(db, team.annotators[1].user_id), pid, "?via=routes", "nope")
    assert lane == routes
    assert through_lane == 14 and len(taken) == through_lane  # the routes' run never used it
    assert [s[0] for s in lane] == [200, 422, 422, 422, 404, 201, 200, 422, 409, 409, 404, 401, 401]
    assert lane[1][1:3] == ("invalid_value", "sentiment")
    assert lane[2][1:3] == ("validation_failed", "value")
    assert lane[-1][1] == "invalid_token" and lane[-1][-1] == "Bearer"


def test_lane_answers_a_lead_as_the_table_says(db: Any) -> None:
    team = build(db, annotators=1, items=2)
    lead = _client(db, team.lead.user_id)
    pid = team.project_id
    assert _shape(lead.post(f"/api/v1/projects/{pid}/next")) == _shape(
        lead.post(f"/api/v1/projects/{pid}/next?via=routes")
    )


def test_lane_requests_reach_the_latency_histogram(db: Any) -> None:
    team = build(db, annotators=1, items=2)
    client = _client(db, team.annotators[0].user_id)
    assert client.post(f"/api/v1/projects/{team.project_id}/next").status_code == 200
    local = TestClient(client.app, client=("127.0.0.1", 50000))  # /metrics: loopback only
    scraped = local.get("/metrics").text
    assert 'route="/api/v1/projects/{project_id}/next"' in scraped


def test_an_unexpected_error_in_the_lane_is_a_json_500(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = build(db, annotators=1, items=2)
    client = _client(db, team.annotators[0].user_id)
    app_client = TestClient(client.app, raise_server_exceptions=False)
    app_client.headers.update(client.headers)

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(work, "give_next", broken)
    answer = app_client.post(f"/api/v1/projects/{team.project_id}/next")
    assert answer.status_code == 500 and answer.json()["code"] == "internal"


def test_a_client_gone_before_its_body_gets_nothing() -> None:
    """A submit whose client disconnects before its body: no answer, no database work."""
    sent: list[Any] = []

    async def inner(*_: Any) -> None:
        raise AssertionError("the lane passed the request on")

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    api = SimpleNamespace(state=SimpleNamespace(db=None))  # nothing may touch the database
    lane = hot_lane.HotLane(inner, api=api)  # type: ignore[arg-type]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/projects/1/items/2/annotations",
        "query_string": b"",
        "headers": [(b"authorization", b"Bearer abc")],
    }
    # In a thread of its own: the browser tests may leave an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, lane(scope, receive, send)).result()
    assert sent == []


def test_only_plain_bearer_calls_take_the_lane() -> None:
    assert hot_lane._bearer([(b"authorization", b"Bearer abc")]) == "abc"
    assert hot_lane._bearer([(b"authorization", b"bearer  abc ")]) == "abc"
    assert hot_lane._bearer([(b"authorization", b"Basic abc")]) is None
    assert hot_lane._bearer([(b"authorization", b"Bearer ")]) is None
    session = (b"cookie", b"labelcrew_session=xyz")
    assert hot_lane._bearer([(b"authorization", b"Bearer abc"), session]) is None
    assert hot_lane._bearer([]) is None
