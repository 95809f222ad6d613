"""The core platform over HTTP: schema lock and versions, guidelines, batches, export, errors."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from labelcrew.app import create_app
from labelcrew.db.models.core import ApiToken
from labelcrew.services.accounts import users as accounts
from tests.integration.team import PASSWORD, SCHEMA, build


def _client(db, actor):
    client = TestClient(create_app(db=db))
    token = accounts.issue_token(db, None, user_id=actor.user_id)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_schema_locks_after_first_annotation_and_versions(db):
    team = build(db, annotators=1, items=3)
    pid = team.project_id
    lead, ann = _client(db, team.lead), _client(db, team.annotators[0])
    changed = {
        "fields": [
            *SCHEMA["fields"],
            {"name": "toxic", "kind": "single_choice", "options": ["yes", "no"], "required": False},
        ]
    }
    first = lead.put(f"/api/v1/projects/{pid}/schema", json=changed)
    assert first.status_code == 200 and first.json()["version"] == 1  # unused: edited in place
    lease = ann.post(f"/api/v1/projects/{pid}/next").json()
    done = ann.post(
        f"/api/v1/projects/{pid}/items/{lease['item']['id']}/annotations",
        json={"value": {"sentiment": "neutral"}},
        headers={"Idempotency-Key": "a1"},
    )
    assert done.status_code == 201 and done.json()["schema_version"] == 1
    assert lead.get(f"/api/v1/projects/{pid}/schema").json()["locked"] is True
    second = lead.put(f"/api/v1/projects/{pid}/schema", json=SCHEMA)
    assert second.json()["version"] == 2
    assert lead.get(f"/api/v1/projects/{pid}/schema?version=1").json()["locked"] is True
    assert ann.put(f"/api/v1/projects/{pid}/schema", json=SCHEMA).status_code == 403
    bad = lead.put(
        f"/api/v1/projects/{pid}/schema", json={"fields": [{"name": "x", "kind": "nope"}]}
    )
    assert bad.status_code == 422 and bad.json()["field"].startswith("fields[0]")


def test_submit_errors_are_typed_json(db):
    team = build(db, annotators=1, items=2)
    pid = team.project_id
    ann = _client(db, team.annotators[0])
    lease = ann.post(f"/api/v1/projects/{pid}/next").json()
    url = f"/api/v1/projects/{pid}/items/{lease['item']['id']}/annotations"
    bad = ann.post(url, json={"value": {"sentiment": "angry"}})
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_value" and bad.json()["field"] == "sentiment"
    missing = ann.post(url, json={"nothing": 1})
    assert missing.status_code == 422 and missing.json()["field"] == "value"
    broken = ann.post(url, content=b'{"value": ', headers={"Content-Type": "application/json"})
    assert broken.status_code == 422 and broken.json()["code"] == "validation_failed"
    assert "JSON" in broken.json()["message"]
    # The caller is checked before the body: an outsider learns nothing about its shape.
    anon = TestClient(create_app(db=db)).post(url, json={"nothing": 1})
    assert anon.status_code == 401 and anon.json()["code"] == "unauthenticated"
    documented = ann.get("/openapi.json").json()["paths"][
        "/api/v1/projects/{project_id}/items/{item_id}/annotations"
    ]["post"]
    body_schema = documented["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema["required"] == ["value"]
    assert "idempotency-key" in {p["name"].lower() for p in documented["parameters"]}
    unleased = ann.post(
        f"/api/v1/projects/{pid}/items/999/annotations", json={"value": {"sentiment": "positive"}}
    )
    assert unleased.status_code == 404 and unleased.json()["code"] == "item_not_found"
    ok = ann.post(url, json={"value": {"sentiment": "positive"}}, headers={"Idempotency-Key": "k"})
    again = ann.post(
        url, json={"value": {"sentiment": "positive"}}, headers={"Idempotency-Key": "k"}
    )
    assert ok.status_code == 201 and again.status_code == 200
    assert again.json()["annotation_id"] == ok.json()["annotation_id"]
    assert ann.get("/api/v1/projects/1/nope").status_code == 404
    assert (
        TestClient(create_app(db=db)).post(f"/api/v1/projects/{pid}/next").json()["code"]
        == "unauthenticated"
    )


def test_guideline_publish_needs_changelog_and_gates_work(db):
    team = build(db, annotators=1, items=2)
    pid = team.project_id
    lead, ann = _client(db, team.lead), _client(db, team.annotators[0])
    draft = lead.put(
        f"/api/v1/projects/{pid}/guidelines/draft",
        json={
            "title": "v2",
            "rules": [
                {"number": "1.1", "text": "Overall sentiment."},
                {"number": "4.2", "text": "Sarcasm."},
            ],
        },
    )
    assert draft.json()["version"] == 2
    assert (
        lead.post(f"/api/v1/projects/{pid}/guidelines/2/publish", json={"changelog": "  "}).json()[
            "field"
        ]
        == "changelog"
    )
    assert (
        lead.post(
            f"/api/v1/projects/{pid}/guidelines/2/publish",
            json={"changelog": "Rule 4.2 on sarcasm"},
        ).status_code
        == 200
    )
    gated = ann.post(f"/api/v1/projects/{pid}/next")
    assert gated.status_code == 403 and gated.json()["code"] == "guideline_ack_required"
    assert ann.post(f"/api/v1/projects/{pid}/guidelines/1/acknowledge").status_code == 409
    assert ann.post(f"/api/v1/projects/{pid}/guidelines/2/acknowledge").status_code == 200
    assert ann.post(f"/api/v1/projects/{pid}/next").status_code == 200
    bad = lead.put(
        f"/api/v1/projects/{pid}/guidelines/draft",
        json={"rules": [{"number": "four", "text": "x"}]},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "rules[0].number"


def test_batches_move_through_checked_states(db):
    team = build(db, annotators=1, items=0)
    pid = team.project_id
    lead = _client(db, team.lead)
    made = lead.post(f"/api/v1/projects/{pid}/batches", json={"name": "week-47", "owner": "lead"})
    assert made.status_code == 201 and made.json()["state"] == "open"
    bid = made.json()["id"]
    skip = lead.patch(f"/api/v1/projects/{pid}/batches/{bid}", json={"state": "done"})
    assert skip.status_code == 409 and skip.json()["code"] == "bad_transition"
    for state in ("in_progress", "in_review", "done"):
        moved = lead.patch(f"/api/v1/projects/{pid}/batches/{bid}", json={"state": state})
        assert moved.status_code == 200 and moved.json()["state"] == state
    handed = lead.patch(
        f"/api/v1/projects/{pid}/batches/{bid}",
        json={"owner": "admin", "handoff_note": "EU shift takes over"},
    )
    assert handed.json()["owner"] == "admin" and handed.json()["handoff_note"]
    listed = lead.get(f"/api/v1/projects/{pid}/batches").json()
    assert listed[0]["name"] == "week-47" and listed[0]["items"] == 0


def test_export_jsonl_and_csv_carry_versions_and_are_audited(db):
    team = build(db, annotators=1, items=2)
    pid = team.project_id
    ann, lead = _client(db, team.annotators[0]), _client(db, team.lead)
    lease = ann.post(f"/api/v1/projects/{pid}/next").json()
    ann.post(
        f"/api/v1/projects/{pid}/items/{lease['item']['id']}/annotations",
        json={"value": {"sentiment": "negative"}},
    )
    lines = lead.get(f"/api/v1/projects/{pid}/export?format=jsonl").text.splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 2
    labelled = next(r for r in rows if r["annotations"])
    assert labelled["annotations"][0]["schema_version"] == 1
    assert labelled["annotations"][0]["guideline_version"] == 1
    table = list(
        csv.DictReader(io.StringIO(lead.get(f"/api/v1/projects/{pid}/export?format=csv").text))
    )
    assert len(table) == 1 and json.loads(table[0]["value"])["sentiment"] == "negative"
    audit = lead.get(f"/api/v1/projects/{pid}/audit?limit=5").json()
    assert [e["action"] for e in audit[:2]] == ["export", "export"]
    assert lead.get(f"/api/v1/projects/{pid}/export?format=xml").status_code == 422


def test_tokens_can_be_revoked_and_sessions_sign_in(db):
    team = build(db, annotators=1, items=1)
    client = TestClient(create_app(db=db))
    signed = client.post("/api/v1/session", json={"username": "ann0", "password": PASSWORD})
    assert signed.status_code == 200 and "labelcrew_session" in signed.cookies
    assert client.get("/api/v1/me").json()["username"] == "ann0"
    assert (
        client.post("/api/v1/session", json={"username": "ann0", "password": "wrong"}).status_code
        == 401
    )
    token = accounts.issue_token(db, None, user_id=team.annotators[0].user_id)
    fresh = TestClient(create_app(db=db), headers={"Authorization": f"Bearer {token}"})
    assert fresh.get("/api/v1/me").status_code == 200
    with db.uow(read_only=True) as uow:
        token_id = uow.session.scalar(select(ApiToken.id).order_by(ApiToken.id.desc()))
    assert fresh.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    assert fresh.get("/api/v1/me").json()["code"] == "invalid_token"
