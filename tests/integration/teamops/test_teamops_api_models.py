"""Every team-operations route over HTTP, through its response model: the body is the JSON the
service's dict always rendered to (same keys, values and order; keys that only some entries
have stay absent), on both backends."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import update

from labelcrew.app import create_app
from labelcrew.db.models.core import Assignment
from labelcrew.services.accounts import users as accounts
from labelcrew.services.projects import batches
from labelcrew.services.releases import publish as releases
from labelcrew.services.teamops import capacity, cost, handoffs, priorities
from labelcrew.services.teamops import forecast as capacity_forecast
from labelcrew.services.teamops import settings as teamops_settings
from labelcrew.services.work import assignment, selfcheck, submission
from tests.integration.team import add_items, build

VALUE = {"sentiment": "positive"}
SETTINGS: dict[str, Any] = {
    "selfcheck": [
        {
            "id": "neg-note",
            "kind": "required_if",
            "field": "note",
            "if": {"field": "sentiment", "equals": "negative"},
            "message": "say why",
        }
    ],
    "checklist": [{"id": "read-all", "text": "I read it all", "required": False}],
    "sensitive_fields": [{"field": "email", "mode": "mask", "roles": ["lead"]}],
    "redaction": {"kinds": ["email"], "terms": ["Contoso"]},
    "redistribution": {"max_items": 5, "horizon_days": 3, "absence_hours": 1.5},
    "planning": {"window_days": 7},
    "batch_size_limit": 500,
    "senior_review_per_hour": 4,
}


def _client(db, actor):
    client = TestClient(create_app(db=db))
    token = accounts.issue_token(db, None, user_id=actor.user_id)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _plain(value: Any, ordered: bool = True) -> Any:
    """JSON as ordered pairs, numbers as floats: the same keys, order and values (a whole-number
    total such as an empty sum, `0` from the service, is `0.0` through a `float` field)."""
    if isinstance(value, dict):
        pairs = [(k, _plain(v, ordered)) for k, v in value.items()]
        return pairs if ordered else sorted(pairs, key=lambda kv: kv[0])
    if isinstance(value, list):
        return [_plain(v, ordered) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def _same(resp, status: int, before: Any, *, ordered: bool = True) -> Any:
    """The body is the JSON the service's value rendered to without a model (`ordered=False`:
    in any key order; PostgreSQL's jsonb hands stored settings back in an order of its own,
    the model in its field order)."""
    assert resp.status_code == status, resp.text
    rendered = json.loads(orjson.dumps(before, option=orjson.OPT_NON_STR_KEYS))
    assert _plain(resp.json(), ordered) == _plain(rendered, ordered), (resp.text, rendered)
    return resp.json()


def _label(db, clock, who, pid, seconds):
    lease = assignment.next_item(db, who, pid)
    clock.advance(seconds)
    submission.submit(db, who, pid, lease["item"]["id"], VALUE, idempotency_key=None)


def test_every_teamops_route_renders_what_its_service_returns(db, clock):
    team = build(db, annotators=3, items=0)
    pid = team.project_id
    a, b, c = team.annotators
    base = f"/api/v1/projects/{pid}"
    lead, ann = _client(db, team.lead), _client(db, a)
    first = batches.create_batch(db, team.lead, pid, name="first")
    second = batches.create_batch(db, team.lead, pid, name="second", owner="lead")
    add_items(db, pid, 10, batch_id=first["id"], priority=5)
    add_items(db, pid, 3, start=20, batch_id=second["id"])
    add_items(db, pid, 4, start=40)

    # Profiles and deadlines (writes answer what a read shows next).
    prof = lead.put(f"{base}/members/{a.user_id}/profile", json={"weekly_hours": 7, "level": "senior", "hourly_rate": 36, "skills": {"de": 2}})  # fmt: skip
    assert prof.status_code == 200, prof.text
    assert prof.json()["weekly_hours"] == 7.0 and prof.json()["hourly_rate"] == 36.0
    lead.put(f"{base}/members/{b.user_id}/profile", json={"item_rate": 0.5, "timezone": "Asia/Manila"})  # fmt: skip
    profiles = capacity.list_profiles(db, pid)
    _same(lead.get(f"{base}/profiles"), 200, profiles)
    assert [p for p in profiles if p["user_id"] == a.user_id] == [prof.json()]
    due = (clock.now + timedelta(days=2)).isoformat()
    set_project = lead.put(f"{base}/deadline", json={"deadline": due})
    assert set_project.json() == {"entity": "project", "id": pid, "deadline": due}
    cleared = lead.put(f"{base}/batches/{second['id']}/deadline", json={"deadline": None})
    assert cleared.json() == {"entity": "batch", "id": second["id"], "deadline": None}
    lead.put(f"{base}/batches/{first['id']}/deadline", json={"deadline": due})

    # Cost and plan with nothing labeled yet, then with labels.
    _same(lead.get(f"{base}/cost"), 200, cost.cost_report(db, pid))
    _same(lead.get(f"{base}/plan"), 200, capacity_forecast.plan(db, pid))
    for _ in range(2):
        _label(db, clock, a, pid, 30)
        _label(db, clock, b, pid, 90)
    held = assignment.next_item(db, a, pid)["item"]["id"]
    plan = _same(lead.get(f"{base}/plan"), 200, capacity_forecast.plan(db, pid))
    unbatched = [u for u in plan["batches"] if u["key"] == "unbatched"]
    assert unbatched and "batch_id" not in unbatched[0] and "owner" not in unbatched[0]
    assert {u["owner"] for u in plan["batches"] if "batch_id" in u} == {None, "lead"}
    _same(lead.get(f"{base}/load"), 200, capacity_forecast.team_load(db, pid))
    _same(lead.get(f"{base}/cost"), 200, cost.cost_report(db, pid))

    # Settings, self-check and the senior-review flag.
    _same(lead.get(f"{base}/teamops/settings"), 200, teamops_settings.get_settings(db, pid))
    put = lead.put(f"{base}/teamops/settings", json=SETTINGS)
    assert put.status_code == 200, put.text
    assert put.json()["redistribution"]["max_items"] == 5  # numbers come back as given
    assert put.json()["redistribution"]["absence_hours"] == 1.5
    stored = teamops_settings.get_settings(db, pid)
    assert _same(lead.get(f"{base}/teamops/settings"), 200, stored, ordered=False) == put.json()
    _same(ann.get(f"{base}/selfcheck"), 200, selfcheck.for_annotators(db, pid), ordered=False)
    flag = ann.post(f"{base}/items/{held}/senior-review", json={"reason": "sarcasm?"})
    assert flag.status_code == 200, flag.text
    assert flag.json() == {
        "item_id": held,
        "difficulty": "hard",
        "reason": "sarcasm?",
        "senior_review": True,
        "queued": True,
    }

    # Priorities, release notes and cadence.
    _same(ann.get(f"{base}/priorities"), 200, priorities.current(db, pid))
    for reason in ("the demo moved", "back to normal"):
        published = lead.post(
            f"{base}/priorities",
            json={
                "entries": [
                    {"batch_id": second["id"], "priority": 9, "reason": "demo"},
                    {"batch_id": first["id"], "priority": 1},
                ],
                "reason": reason,
            },
        )
        assert published.status_code == 201, published.text
    current = priorities.current(db, pid)
    seen = _same(ann.get(f"{base}/priorities"), 200, current, ordered=False)
    assert seen["current"] == published.json() and len(seen["history"]) == 1
    releases.create_release(db, team.lead, pid, name="r1")
    notes = _same(ann.get(f"{base}/release-notes"), 200, priorities.release_notes(db, pid))
    assert {n["kind"] for n in notes["notes"]} == {"guideline", "release"}
    _same(ann.get(f"{base}/cadence"), 200, [])
    cadence = lead.put(f"{base}/cadence", json={"kind": "snapshot", "weekday": 0, "hour": 10})
    assert cadence.status_code == 200, cadence.text
    priorities.set_cadence(db, team.lead, pid, kind="release_notes", weekday=4, hour=16)
    clock.advance(8 * 86400)
    priorities.run_due_cadences(db)
    listed = _same(ann.get(f"{base}/cadence"), 200, priorities.list_cadences(db, pid))
    assert [c["last_result"] != {} for c in listed] == [True, True]
    assert set(listed[0]) == set(cadence.json())

    # Handoffs.
    _same(lead.get(f"{base}/handoffs?almost=0.1"), 200, handoffs.board(db, pid, almost=0.1))
    moved = lead.post(f"{base}/batches/{first['id']}/handoff", json={"to_owner": "lead", "note": "EU"})  # fmt: skip
    assert moved.status_code == 200, moved.text
    assert moved.json()["owner"] == "lead" and moved.json()["handoff_note"] == "EU"
    lead.post(f"{base}/batches/{first['id']}/handoff", json={"to_owner": "ann1", "note": "PH"})
    history = _same(
        lead.get(f"{base}/batches/{first['id']}/handoffs"),
        200,
        handoffs.history(db, pid, first["id"]),
    )
    assert [(h["from"], h["to"]) for h in history["history"]] == [(None, "lead"), ("lead", "ann1")]

    # Redistribution: by the lead, then the automatic policy off and forced.
    with db.uow() as uow:  # a's lease is live again: the clock moved on by days
        uow.session.execute(
            update(Assignment)
            .where(Assignment.item_id == held)
            .values(state="leased", expires_at=clock.now + timedelta(hours=1))
        )
        uow.commit()
    report = lead.post(f"{base}/redistribute", json={"from_user": a.user_id, "to_users": [c.user_id]})  # fmt: skip
    assert report.status_code == 200, report.text
    assert report.json()["from_user"] == a.user_id and report.json()["reason"] == "lead"
    assert report.json()["leases"] == [{"item_id": held, "to": c.user_id}]
    off = lead.post(f"{base}/redistribute/auto", json={})
    assert off.status_code == 200 and off.json() == {"enabled": False, "moves": []}
    forced = lead.post(f"{base}/redistribute/auto", json={"force": True})
    assert forced.status_code == 200, forced.text
    moves = forced.json()["moves"]
    assert forced.json()["enabled"] is True and moves and moves[0]["reason"].startswith("auto:")
    assert forced.json()["budget_left"] == 5 - sum(m["items_moved"] for m in moves)
