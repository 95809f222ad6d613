"""Privacy, priorities, release notes, cadence and cost, over HTTP where members see them, and
per-project access: a member of one project cannot read anything of another."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from labelcrew.app import create_app
from labelcrew.db.models.core import AuditEvent, Item, OutboxEvent
from labelcrew.db.models.teamops import Cadence
from labelcrew.services.accounts import users as accounts
from labelcrew.services.importing.imports import import_items
from labelcrew.services.projects import batches, projects
from labelcrew.services.teamops import capacity, cost, priorities
from labelcrew.services.teamops import settings as teamops_settings
from labelcrew.services.work import assignment, submission
from tests.integration.team import SCHEMA, add_items, build, user


def _client(db, actor):
    client = TestClient(create_app(db=db))
    client.headers["Authorization"] = (
        f"Bearer {accounts.issue_token(db, None, user_id=actor.user_id)}"
    )
    return client


def test_sensitive_fields_masked_for_annotators_and_in_exports(db):
    team = build(db, annotators=1, items=0)
    pid = team.project_id
    add_items(db, pid, 1, payload={"text": "hello", "email": "jane.doe@example.com", "ssn": "1"})
    teamops_settings.update_settings(
        db,
        team.lead,
        pid,
        {
            "sensitive_fields": [
                {"field": "email", "mode": "mask", "roles": ["lead"]},
                {"field": "ssn", "mode": "hide"},
            ]
        },
    )
    projects.set_member(db, team.admin, pid, username=user(db, "rev").username, roles=["reviewer"])
    ann, lead = _client(db, team.annotators[0]), _client(db, team.lead)
    rev = _client(db, accounts_actor(db, "rev"))
    lease = ann.post(f"/api/v1/projects/{pid}/next").json()
    assert lease["item"]["payload"] == {"text": "hello", "email": "j***@e***.com"}
    item_id = lease["item"]["id"]
    assert (
        rev.get(f"/api/v1/projects/{pid}/items/{item_id}").json()["payload"]["email"]
        == "j***@e***.com"
    )
    seen = lead.get(f"/api/v1/projects/{pid}/items/{item_id}").json()["payload"]
    assert seen["email"] == "jane.doe@example.com" and "ssn" not in seen
    exported = [
        json.loads(line) for line in lead.get(f"/api/v1/projects/{pid}/export").text.splitlines()
    ]
    assert exported[0]["payload"] == {"text": "hello", "email": "jane.doe@example.com"}
    with db.uow(read_only=True) as uow:
        assert uow.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "export"))


def accounts_actor(db, name):
    from labelcrew.services.accounts.users import Actor

    out = accounts.get_user_by_name(db, name)
    return Actor(out.id, out.username, out.is_admin)


def test_import_redaction_audits_counts_only_and_batch_limit(db):
    team = build(db, annotators=1, items=0)
    pid = team.project_id
    teamops_settings.update_settings(
        db,
        team.lead,
        pid,
        {"redaction": {"kinds": ["email", "phone"], "terms": ["Contoso"]}, "batch_size_limit": 2},
    )
    rows = [
        {"id": "r1", "data": {"text": "write to a.b@mail.com, Contoso rep"}, "batch": "b"},
        {"id": "r2", "data": {"text": "call 415-555-0199"}, "batch": "b"},
    ]
    data = "\n".join(json.dumps(r) for r in rows).encode()
    report = import_items(db, team.lead, pid, io.BytesIO(data), filename="x.jsonl")
    assert report.created == 2
    with db.uow(read_only=True) as uow:
        texts = sorted(uow.session.scalars(select(Item.payload)), key=str)
        audit = uow.session.scalar(
            select(AuditEvent.after).where(AuditEvent.action == "items.redact")
        )
    assert [t["text"] for t in texts] == ["call [PHONE]", "write to [EMAIL], [REDACTED] rep"]
    assert audit == {
        "items": 2,
        "replacements": 3,
        "by_field": {"text": {"email": 1, "phone": 1, "term": 1}},
    }
    assert "a.b@mail.com" not in json.dumps(audit)
    third = json.dumps({"id": "r3", "data": {"text": "x"}, "batch": "b"}).encode()
    try:
        import_items(db, team.lead, pid, io.BytesIO(third), filename="y.jsonl")
        raise AssertionError("the batch limit was not enforced")
    except Exception as exc:  # the typed error of the import
        assert getattr(exc, "code", None) == "batch_too_large"


def test_priorities_apply_at_once_and_members_see_them(db):
    team = build(db, annotators=1, items=0)
    pid = team.project_id
    low = batches.create_batch(db, team.lead, pid, name="low")
    hot = batches.create_batch(db, team.lead, pid, name="hot")
    add_items(db, pid, 2, batch_id=low["id"], priority=5)
    add_items(db, pid, 2, start=10, batch_id=hot["id"])
    lead, ann = _client(db, team.lead), _client(db, team.annotators[0])
    resp = lead.post(
        f"/api/v1/projects/{pid}/priorities",
        json={
            "entries": [
                {"batch_id": hot["id"], "priority": 10, "reason": "client demo"},
                {"batch_id": low["id"], "priority": 1},
            ],
            "reason": "the demo moved to Thursday",
        },
    )
    assert resp.status_code == 201 and resp.json()["items_updated"] == 4
    lease = ann.post(f"/api/v1/projects/{pid}/next").json()
    with db.uow(read_only=True) as uow:
        assert uow.session.get(Item, lease["item"]["id"]).batch_id == hot["id"]
    seen = ann.get(f"/api/v1/projects/{pid}/priorities").json()
    assert seen["current"]["reason"] == "the demo moved to Thursday"
    assert seen["current"]["entries"][0]["batch"] == "hot" and seen["changed_at"]
    assert ann.post(f"/api/v1/projects/{pid}/priorities", json={}).status_code == 403
    bad = lead.post(
        f"/api/v1/projects/{pid}/priorities",
        json={"entries": [{"batch_id": 999, "priority": 1}], "reason": "x"},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "entries[0].batch_id"


def test_release_notes_and_cadence(db, clock):
    team = build(db, annotators=1, items=0)
    pid = team.project_id
    notes = _client(db, team.annotators[0]).get(f"/api/v1/projects/{pid}/release-notes").json()
    assert (
        notes["notes"][0]["kind"] == "guideline" and notes["notes"][0]["notes"] == "first version"
    )
    due = priorities.set_cadence(
        db, team.lead, pid, kind="release_notes", weekday=0, hour=10, timezone="Asia/Manila"
    )
    assert due["next_due_at"] == "2026-11-30T02:00:00+00:00"  # Monday 10:00 in Manila
    assert priorities.run_due_cadences(db) == 0
    clock.advance(7 * 86400)
    assert priorities.run_due_cadences(db) == 1
    with db.uow(read_only=True) as uow:
        row = uow.session.scalar(select(Cadence))
        event = uow.session.scalar(
            select(OutboxEvent).where(OutboxEvent.event_type == "cadence.release_notes")
        )
    assert row.last_run_at == clock.now and row.next_due_at > clock.now
    assert event.payload["latest"][0]["kind"] == "guideline"


def test_cost_per_accepted_label_beside_speed_and_accuracy(db, clock):
    team = build(db, annotators=2, items=4)
    pid = team.project_id
    a, b = team.annotators
    capacity.set_profile(db, team.lead, pid, a.user_id, {"item_rate": 0.5})
    capacity.set_profile(db, team.lead, pid, b.user_id, {"hourly_rate": 36.0})
    for who, seconds in ((a, 20), (b, 100), (a, 20), (b, 100)):
        lease = assignment.next_item(db, who, pid)
        clock.advance(seconds)
        submission.submit(
            db, who, pid, lease["item"]["id"], {"sentiment": "neutral"}, idempotency_key=None
        )
    report = cost.cost_report(db, pid)
    by = {m["username"]: m for m in report["members"]}
    assert by["ann0"]["cost"] == 1.0 and by["ann0"]["cost_per_accepted_label"] == 0.5
    assert by["ann1"]["cost"] == 2.0 and by["ann1"]["cost_per_accepted_label"] == 1.0
    assert by["ann0"]["median_seconds"] == 20.0 and by["ann1"]["median_seconds"] == 100.0
    assert report["total_cost"] == 3.0 and report["cost_per_accepted_label"] == 0.75
    lead = _client(db, team.lead)
    assert lead.get(f"/api/v1/projects/{pid}/cost").json()["total_cost"] == 3.0
    assert _client(db, a).get(f"/api/v1/projects/{pid}/cost").status_code == 403


def test_member_of_one_project_cannot_read_another(db):
    team = build(db, annotators=1, items=2)
    pid = team.project_id
    other = projects.create_project(db, team.admin, slug="other", name="Other", schema=SCHEMA)
    stranger = user(db, "stranger")
    projects.set_member(db, team.admin, other["id"], username="stranger", roles=["lead"])
    batch = batches.create_batch(db, team.lead, pid, name="secret")
    client = _client(db, stranger)
    capacity.set_deadline(db, team.lead, pid, db.clock() + timedelta(days=3))
    paths = [
        "",
        "/items",
        "/items/1",
        "/batches",
        "/export",
        "/schema",
        "/guidelines",
        "/plan",
        "/load",
        "/profiles",
        "/handoffs",
        f"/batches/{batch['id']}/handoffs",
        "/priorities",
        "/release-notes",
        "/cadence",
        "/cost",
        "/selfcheck",
        "/teamops/settings",
    ]
    for path in paths:
        resp = client.get(f"/api/v1/projects/{pid}{path}")
        assert resp.status_code == 404, (path, resp.status_code, resp.text)
        assert resp.json()["code"] in ("project_not_found", "not_found"), path
    writes = [
        ("post", "/redistribute"),
        ("put", "/teamops/settings"),
        ("post", "/priorities"),
        ("put", "/deadline"),
        ("post", "/next"),
    ]
    for method, path in writes:
        assert getattr(client, method)(f"/api/v1/projects/{pid}{path}", json={}).status_code == 404
    assert client.get(f"/api/v1/projects/{other['id']}/plan").status_code == 200


def test_review_queue_masks_sensitive_fields_for_reviewers(db):
    from labelcrew.services.review import leases as review_leases
    from labelcrew.services.work import assignment, submission

    team = build(db, annotators=2, items=0, overlap=2)
    pid = team.project_id
    add_items(db, pid, 1, overlap=2, payload={"text": "hi", "email": "jane.doe@example.com"})
    teamops_settings.update_settings(
        db, team.lead, pid, {"sensitive_fields": [{"field": "email", "mode": "mask"}]}
    )
    for who, label in zip(team.annotators, ("positive", "negative"), strict=True):
        lease = assignment.next_item(db, who, pid)
        submission.submit(
            db, who, pid, lease["item"]["id"], {"sentiment": label}, idempotency_key=None
        )
    rev = user(db, "rev2")
    projects.set_member(db, team.admin, pid, username="rev2", roles=["reviewer"])
    task = review_leases.next_review(db, rev, pid)
    assert task["item"]["payload"] == {"text": "hi", "email": "j***@e***.com"}
