"""The account, project and webhook routes answer what their services return, key for key, now
that a response model validates every body (an undeclared key would be a 500)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient

from labelcrew.app import create_app
from labelcrew.services.accounts import users as accounts
from labelcrew.services.platform import audit_log, webhooks
from labelcrew.services.projects import projects
from labelcrew.services.uow import Database
from tests.integration.team import PASSWORD, build


def same_json(body: Any, expected: Any) -> bool:
    """Equal as JSON text: 1 and 1.0 differ here, as they do on the wire."""

    def dump(value: Any) -> str:
        return json.dumps(jsonable_encoder(value), sort_keys=True, ensure_ascii=False)

    return dump(body) == dump(expected)


def bearer(db: Database, user_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.issue_token(db, None, user_id=user_id)}"}


def test_account_bodies(db, clock):
    team = build(db, annotators=1, items=0)
    client = TestClient(create_app(db=db))
    admin = bearer(db, team.admin.user_id)
    ann = team.annotators[0]

    users = client.get("/api/v1/users", headers=admin).json()
    assert same_json(users, [asdict(u) for u in accounts.list_users(db)])
    assert client.get("/api/v1/me", headers=admin).json() == asdict(team.admin)
    made = client.post(
        "/api/v1/users", json={"username": "newbie", "password": PASSWORD}, headers=admin
    )
    assert made.status_code == 201
    assert set(made.json()) == {"id", "username", "display_name", "is_admin", "is_active"}

    mine = bearer(db, ann.user_id)
    issued = client.post(
        f"/api/v1/users/{ann.user_id}/tokens", json={"expires_in_days": 3}, headers=mine
    )
    assert issued.status_code == 201 and set(issued.json()) == {"token"}
    listed = client.get(f"/api/v1/users/{ann.user_id}/tokens", headers=mine).json()
    expected = [asdict(t) for t in accounts.list_tokens(db, ann, ann.user_id)]
    assert [set(t) for t in listed] == [set(t) for t in expected]
    # Datetimes in the API's one spelling, isoformat() (`+00:00`), as every other timestamp
    for got, want in zip(listed, expected, strict=True):
        for key, value in want.items():
            if isinstance(value, datetime):
                assert got[key] == value.isoformat(), key
            else:
                assert got[key] == value, key

    off = client.post(f"/api/v1/users/{ann.user_id}/deactivate", headers=admin).json()
    assert off["is_active"] is False and set(off) == set(users[0])
    on = client.post(f"/api/v1/users/{ann.user_id}/reactivate", headers=admin).json()
    assert on["is_active"] is True
    reset = client.post(f"/api/v1/users/{ann.user_id}/password-reset", json={}, headers=admin)
    assert reset.status_code == 200 and reset.json()["user_id"] == ann.user_id
    assert isinstance(reset.json()["password"], str)
    given = client.post(
        f"/api/v1/users/{ann.user_id}/password-reset",
        json={"password": "another-horse-17"},
        headers=admin,
    )
    assert given.json() == {"user_id": ann.user_id, "password": None}
    signed = client.post("/api/v1/session", json={"username": "lead", "password": PASSWORD})
    assert signed.json() == asdict(team.lead)


def test_project_and_webhook_bodies(db, clock):
    team = build(db, annotators=2, items=2)
    pid = team.project_id
    client = TestClient(create_app(db=db))
    admin = bearer(db, team.admin.user_id)
    lead = bearer(db, team.lead.user_id)
    url = f"/api/v1/projects/{pid}"

    for path, expected in (
        ("/api/v1/projects", projects.list_projects(db, team.admin)),
        (url, projects.get_project(db, pid)),
        (f"{url}/members", projects.list_members(db, pid)),
        (f"{url}/schema", projects.get_schema(db, pid)),
        (f"{url}/audit", audit_log.list_events(db, pid)),
    ):
        resp = client.get(path, headers=admin)
        assert resp.status_code == 200, (path, resp.text)
        assert same_json(resp.json(), expected), path
    patched = client.patch(url, json={"gold_rate": 0.5, "overlap": 2}, headers=admin)
    assert same_json(patched.json(), projects.get_project(db, pid))
    member = client.put(
        f"{url}/members",
        json={"username": "ann0", "roles": ["annotator"], "wip_limit": 2, "skills": {"fr": 2}},
        headers=admin,
    )
    assert same_json(member.json(), projects.list_members(db, pid)[0])
    schema = projects.get_schema(db, pid)["definition"]
    saved = client.put(f"{url}/schema", json=schema, headers=admin).json()
    assert set(saved) == {"version", "locked", "definition"}
    created = client.post(
        "/api/v1/projects", json={"slug": "other", "name": "Other"}, headers=admin
    ).json()
    assert same_json(created, projects.get_project(db, created["id"]))

    hooks = f"{url}/webhooks"
    made = client.post(hooks, json={"url": "http://127.0.0.1:9/hook"}, headers=lead)
    assert made.status_code == 201
    hook = made.json()
    assert set(hook) == {"id", "url", "events", "active", "created_at", "updated_at", "secret"}
    listed = client.get(hooks, headers=lead).json()
    assert same_json(listed, webhooks.list_webhooks(db, pid))
    changed = client.patch(f"{hooks}/{hook['id']}", json={"active": False}, headers=lead).json()
    assert changed["active"] is False and set(changed) == set(hook) - {"secret"}
    log = client.get(f"{hooks}/{hook['id']}/deliveries", headers=lead)
    assert same_json(log.json(), webhooks.list_deliveries(db, pid, hook["id"]))
    gone = client.delete(f"{hooks}/{hook['id']}", headers=lead)
    assert gone.json() == {"id": hook["id"], "deleted": True}
