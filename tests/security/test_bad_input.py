"""Hostile input to the API: NUL characters in every JSON body field, and requests for a
project that does not exist. Both must answer a 4xx that names the problem, never a 500, on
both databases (PostgreSQL cannot store NUL; SQLite can, so it would keep what PG refuses)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from labelcrew.app import create_app
from labelcrew.db.models.core import AuditEvent
from labelcrew.domain.permissions import Role
from labelcrew.services.accounts import users as accounts
from labelcrew.services.projects import batches, projects
from tests.integration.api.test_route_roles import _routes
from tests.integration.team import PASSWORD, build

WRITES = ("POST", "PUT", "PATCH")
NUL = "\x00"


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _sample(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A value of the right type for every property (optional ones too), so that the only
    thing wrong with the body is the NUL put into it."""
    schema = _resolve(spec, schema)
    if "anyOf" in schema:
        first = next(s for s in schema["anyOf"] if s.get("type") != "null")
        return _sample(spec, first)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties")
        if not props:
            return {"key": "value-ab"}  # a free-form object
        return {name: _sample(spec, sub) for name, sub in props.items()}
    if kind == "array":
        return [_sample(spec, schema.get("items", {}))]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if schema.get("format") == "date-time":
        return "2026-11-23T09:00:00Z"
    size = max(schema.get("minLength", 0), min(schema.get("maxLength", 8), 8))
    return "abcdefgh"[:size]  # strings and `Any`


def _string_paths(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _string_paths(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _string_paths(inner, (*path, str(index)))


def _with_nul(value: Any, path: tuple[str, ...]) -> Any:
    if not path:
        return NUL + value[1:]  # the same length, so only the NUL is wrong
    head, rest = path[0], path[1:]
    if isinstance(value, list):
        out = list(value)
        out[int(head)] = _with_nul(value[int(head)], rest)
        return out
    return {**value, head: _with_nul(value[head], rest)}


def _leaf(value: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        value = value[int(step)] if isinstance(value, list) else value[step]
    return value


def _json_bodies(app) -> list[tuple[str, str, Any]]:
    """(method, path, a valid-typed sample body) of every write route with a JSON body."""
    spec = app.openapi()
    out = []
    for method, path, _ in _routes(app):
        if method not in WRITES:
            continue
        operation = spec["paths"][path][method.lower()]
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            out.append((method, path, _sample(spec, content["application/json"]["schema"])))
    return out


def _audited(db) -> int:
    with db.uow(read_only=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


@pytest.fixture
def hostile(db):
    """A project, a batch, and an admin who holds every role in it (so no membership rule
    stands between the request and the body check)."""
    team = build(db, annotators=1, items=3)
    pid = team.project_id
    projects.set_member(db, team.admin, pid, username="admin", roles=[r.value for r in Role])
    batch = batches.create_batch(db, team.admin, pid, name="b1")
    token = accounts.issue_token(db, None, user_id=team.admin.user_id)
    client = TestClient(create_app(db=db), raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {token}"
    values = {"project_id": pid, "item_id": 1, "version": 1, "batch_id": batch["id"]}
    values["user_id"] = team.admin.user_id

    def fill(path: str, **override: int) -> str:
        given = {**values, **override}
        return re.sub(r"\{(\w+)\}", lambda m: str(given.get(m.group(1), 1)), path)

    return team, client, fill


def test_nul_in_any_body_field_is_refused_naming_the_field(hostile, db):
    _, client, fill = hostile
    app = client.app
    before = _audited(db)
    bodies = _json_bodies(app)
    assert len(bodies) >= 40  # every write route with a JSON body, the submit included
    assert any(p.endswith("/annotations") for _, p, _ in bodies)
    checked = 0
    for method, path, sample in bodies:
        for where in _string_paths(sample):
            resp = client.request(method, fill(path), json=_with_nul(sample, where))
            assert resp.status_code == 422, (method, path, where, resp.text)
            body = resp.json()
            assert body["code"] == "validation_failed", (method, path, where, body)
            assert body["field"] == ".".join(where), (method, path, where, body)
            assert body["message"].startswith(body["field"])
            if not _leaf(sample, where).startswith("2026-"):  # a datetime fails as one
                assert "NUL" in body["message"], (method, path, where, body)
            checked += 1
    assert checked >= 80
    assert _audited(db) == before  # every refusal came before any change


def test_nul_in_an_object_key_and_deep_in_a_value(hostile):
    team, client, _ = hostile
    pid = team.project_id
    resp = client.patch(f"/api/v1/projects/{pid}", json={"name\x00": "x"})
    assert resp.status_code == 422, resp.text
    assert resp.json()["field"] == "name\\u0000"
    value = {"sentiment": "positive", "spans": [{"label": "a", "text": ["ok", "b\x00"]}]}
    resp = client.put(f"/api/v1/projects/{pid}/items/1/gold", json={"value": value})
    assert resp.status_code == 422, resp.text
    assert resp.json()["field"] == "value.spans.0.text.1"


def test_nul_in_a_submit_is_refused_by_the_hot_lane_and_the_route(hostile, db):
    """The hot lane and FastAPI's route (which a query string sends it to) parse alike."""
    team, client, _ = hostile
    pid = team.project_id
    annotator = team.annotators[0]
    token = accounts.issue_token(db, None, user_id=annotator.user_id)
    leased = client.post(
        f"/api/v1/projects/{pid}/next", headers={"Authorization": f"Bearer {token}"}
    ).json()
    item_id = leased["item"]["id"] if "item" in leased else leased["id"]
    url = f"/api/v1/projects/{pid}/items/{item_id}/annotations"
    bearer = {"Authorization": f"Bearer {token}"}
    for where in ("", "?via=route"):
        for value, field in (
            ({"sentiment": "pos\x00itive"}, "value.sentiment"),
            ({"sentiment": "positive", "note": "a\x00"}, "value.note"),
            ({"sentiment": "positive", "note\x00": "a"}, "value.note\\u0000"),
        ):
            resp = client.post(url + where, json={"value": value}, headers=bearer)
            assert resp.status_code == 422, resp.text
            assert resp.json()["field"] == field, resp.text
        resp = client.post(url + where, json={"value": {}, "checklist": ["a\x00"]}, headers=bearer)
        assert resp.json()["field"] == "checklist.0", resp.text
    # A literal backslash-u in text is not NUL: the pre-check's false alarm is harmless.
    ok = client.post(
        url,
        json={"value": {"sentiment": "positive", "note": "C:\\u0000"}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert ok.status_code == 201, ok.text


def test_no_project_route_answers_500_for_a_project_that_does_not_exist(hostile):
    """An admin passes the table without being a member, so only a check that the project
    exists stands between the request and services that assume it: every project route for a
    missing project answers 404 `project_not_found` (before any word about the body)."""
    _, client, fill = hostile
    seen, bad = 0, []
    for method, path, _ in _routes(client.app):
        if "{project_id}" not in path:
            continue
        resp = client.request(method, fill(path, project_id=987654), json={})
        if resp.status_code != 404 or resp.json().get("code") != "project_not_found":
            bad.append((method, path, resp.status_code, resp.text[:100]))
        seen += 1
    assert bad == []
    assert seen >= 80


def _text_parameters(spec: dict[str, Any], operation: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for parameter in operation.get("parameters", []):
        schema = _resolve(spec, parameter.get("schema", {}))
        kinds = {s.get("type") for s in schema.get("anyOf", [schema])}
        if parameter["in"] in ("query", "path") and "string" in kinds:
            yield parameter


def test_nul_in_a_query_or_path_parameter_is_refused_naming_it(hostile):
    _, client, fill = hostile
    spec = client.app.openapi()
    checked = 0
    for method, path, _ in _routes(client.app):
        for parameter in _text_parameters(spec, spec["paths"][path][method.lower()]):
            name = parameter["name"]
            if parameter["in"] == "path":
                url, params = path.replace("{" + name + "}", "a%00b"), {}
            else:
                url, params = path, {name: "a\x00b"}
            resp = client.request(method, fill(url), params=params, json={})
            assert resp.status_code == 422, (method, path, name, resp.text)
            assert resp.json()["field"] == name, (method, path, name, resp.text)
            checked += 1
    assert checked >= 10


def test_nul_in_a_web_form_field_is_refused_naming_it(hostile):
    """The pages' forms reach the same services: sign-in and a lead's webhook form."""
    team, client, _ = hostile
    del client.headers["Authorization"]
    client.get("/login")
    csrf = client.cookies["labelcrew_csrf"]
    form = {"username": "adm\x00in", "password": PASSWORD, "csrf_token": csrf}
    resp = client.post("/login", data=form)
    assert resp.status_code == 422, resp.text
    assert "username holds a NUL character" in resp.text  # the pages' HTML error page
    signed_in = client.post("/login", data={**form, "username": "admin"}, follow_redirects=False)
    assert signed_in.status_code in (200, 303), signed_in.text
    csrf = client.cookies["labelcrew_csrf"]
    resp = client.post(
        f"/projects/{team.project_id}/webhooks",
        data={"url": "https://example.org/\x00hook", "events": "*", "csrf_token": csrf},
    )
    assert resp.status_code == 422, resp.text
    assert "url holds a NUL character" in resp.text


def test_integers_past_the_columns_range_are_refused_not_sent_to_the_database(hostile):
    """Every id column is 32-bit: PostgreSQL failed (500) on a larger parameter."""
    team, client, _ = hostile
    pid = team.project_id
    big = str(2**31)
    for method, path in (
        ("GET", f"/api/v1/projects/{big}"),
        ("POST", f"/api/v1/projects/{big}/next"),  # the hot lane hands it to FastAPI
        ("GET", f"/api/v1/projects/{big}0000000000/items"),
    ):
        resp = client.request(method, path)
        assert resp.status_code == 404, (path, resp.text)
        assert (resp.json()["code"], resp.json()["field"]) == ("project_not_found", "project_id")
    resp = client.get(f"/api/v1/projects/{pid}/items/{big}")
    assert (resp.status_code, resp.json()["code"]) == (404, "item_not_found"), resp.text
    resp = client.get(f"/api/v1/projects/{pid}/audit", params={"before_id": big})
    assert (resp.status_code, resp.json()["field"]) == (422, "before_id"), resp.text
    resp = client.post(
        f"/api/v1/projects/{pid}/items/1/comments", json={"body": "hi", "review_id": 2**40}
    )
    assert (resp.status_code, resp.json()["field"]) == (422, "review_id"), resp.text
    resp = client.post(
        f"/api/v1/projects/{pid}/redistribute", json={"from_user": 1, "batch_ids": [1, -(2**33)]}
    )
    assert (resp.status_code, resp.json()["field"]) == (422, "batch_ids.1"), resp.text
    assert client.get(f"/api/v1/projects/{pid}/items/{2**31 - 1}").status_code == 404
