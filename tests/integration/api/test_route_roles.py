"""Walk every API route with every role: the permission table is the only gate.

A role the table allows must never get 403; a role it does not allow must get exactly 403; a
non-member sees 404 for project routes; no credentials give 401; nothing ever gives 500.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from labelcrew.app import create_app
from labelcrew.domain.permissions import PERMISSIONS, Action, Role
from labelcrew.services.accounts import users as accounts
from labelcrew.services.projects import batches, projects
from tests.integration.team import build, user

PUBLIC = {("POST", "/api/v1/session"), ("DELETE", "/api/v1/session")}


def _action(route: APIRoute) -> str | None:
    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        found = getattr(dep.call, "labelcrew_action", None)
        if found:
            return str(found)
        stack.extend(dep.dependencies)
    return None


def _api_routes(routes):
    """APIRoutes, looking inside included routers (FastAPI may include them lazily)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


def _routes(app) -> list[tuple[str, str, str | None]]:
    out = []
    for route in _api_routes(app.routes):
        if route.path.startswith("/api/"):
            for method in sorted(route.methods):
                out.append((method, route.path, _action(route)))
    return out


def test_every_route_names_an_action(db):
    app = create_app(db=db)
    missing = [(m, p) for m, p, a in _routes(app) if a is None and (m, p) not in PUBLIC]
    assert missing == []
    known = {a.value for a in Action} | {"admin", "authenticated"}
    assert {a for _, _, a in _routes(app) if a} <= known


def test_route_role_matrix(db):
    team = build(db, annotators=1, items=3)
    pid = team.project_id
    batch = batches.create_batch(db, team.admin, pid, name="b1")
    callers = {}
    for role in Role:
        actor = team.annotators[0] if role is Role.ANNOTATOR else user(db, f"r-{role.value}")
        if role is not Role.ANNOTATOR:
            projects.set_member(db, team.admin, pid, username=actor.username, roles=[role.value])
        callers[role.value] = (actor, accounts.issue_token(db, None, user_id=actor.user_id))
    outsider = user(db, "outsider")
    outsider_token = accounts.issue_token(db, None, user_id=outsider.user_id)
    admin_token = accounts.issue_token(db, None, user_id=team.admin.user_id)
    app = create_app(db=db)
    client = TestClient(app, raise_server_exceptions=False)

    def fill(path: str, user_id: int) -> str:
        values = {
            "project_id": pid,
            "item_id": 1,
            "version": 1,
            "batch_id": batch["id"],
            "user_id": user_id,
            "token_id": 999999,
        }
        return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)

    def call(method: str, path: str, token: str | None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.request(method, path, headers=headers, json={})

    checked = 0
    for method, path, action in _routes(app):
        if (method, path) in PUBLIC:
            continue
        anon = call(method, fill(path, 0), None)
        assert anon.status_code == 401, (method, path, anon.text)
        for role, (actor, token) in callers.items():
            resp = call(method, fill(path, actor.user_id), token)
            assert resp.status_code != 500, (method, path, role, resp.text)
            if action == "admin":
                may = False
            elif action == "authenticated":
                may = True
            else:
                may = role in PERMISSIONS[Action(action)]
            if may:
                assert resp.status_code != 403, (method, path, role, resp.text)
            else:
                assert resp.status_code == 403, (method, path, role, resp.status_code, resp.text)
            assert "code" in resp.json() if resp.status_code >= 400 else True
            checked += 1
        admin = call(method, fill(path, team.admin.user_id), admin_token)
        assert admin.status_code not in (401, 500), (method, path, admin.text)
        if admin.status_code == 403:  # the table lets admins in; only membership rules remain
            assert admin.json()["code"] in ("not_a_member", "not_an_annotator"), admin.text
        if "{project_id}" in path:
            other = call(method, fill(path, outsider.user_id), outsider_token)
            assert other.status_code == 404, (method, path, other.text)
    assert checked >= 5 * 25


@pytest.mark.parametrize("role", ["annotator", "reviewer"])
def test_annotators_and_reviewers_cannot_export_or_read_gold(db, role):
    team = build(db, annotators=1, items=2)
    pid = team.project_id
    actor = team.annotators[0] if role == "annotator" else user(db, "rev")
    if role == "reviewer":
        projects.set_member(db, team.admin, pid, username="rev", roles=["reviewer"])
    token = accounts.issue_token(db, None, user_id=actor.user_id)
    client = TestClient(create_app(db=db))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/projects/{pid}/export", headers=headers).status_code == 403
    resp = client.put(
        f"/api/v1/projects/{pid}/items/1/gold",
        headers=headers,
        json={"value": {"sentiment": "positive"}},
    )
    assert resp.status_code == 403
    if role == "reviewer":
        item = client.get(f"/api/v1/projects/{pid}/items/1", headers=headers).json()
        assert "gold" not in item
