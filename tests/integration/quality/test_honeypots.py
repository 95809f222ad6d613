"""Honeypots (issue 21, part 3): made from unanimously labelled items, counted apart from gold
accuracy, alerted on and paused after misses, served and shown like any item."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from labelcrew.app import create_app
from labelcrew.db.models.core import Annotation, GoldAnswer, Item, Member
from labelcrew.services.accounts import users as accounts
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.platform.jobs import scan_quality
from labelcrew.services.projects import projects
from labelcrew.services.quality import alerts, honeypots
from labelcrew.services.quality import measures as quality
from labelcrew.services.quality.gold_supply import gold_supply
from labelcrew.services.work import assignment, submission
from tests.integration.team import build, user


def _label_everything(db, team, value_of) -> None:
    for k, who in enumerate(team.annotators):
        n = 0
        while True:
            try:
                lease = assignment.next_item(db, who, team.project_id)
            except Exception:  # queue empty
                break
            item_id = lease["item"]["id"]
            submission.submit(
                db, who, team.project_id, item_id, value_of(item_id, k), idempotency_key=f"{k}-{n}"
            )
            n += 1


def _answer(db, pid: int, item_id: int, user_id: int, right: bool) -> None:
    with db.uow() as uow:
        uow.session.execute(
            insert(Annotation).values(
                project_id=pid,
                item_id=item_id,
                annotator_id=user_id,
                value={"sentiment": "positive" if right else "negative"},
                schema_version=1,
                guideline_version=1,
                gold_correct=right,
                created_at=uow.now,
            )
        )
        uow.commit()


def test_honeypots_are_made_from_unanimous_items_and_misses_pause_a_member(db):
    team = build(db, annotators=3, items=5, overlap=3)
    pid = team.project_id
    # items 1-4 unanimous; item 5 split, so it never becomes a honeypot
    _label_everything(
        db, team, lambda i, k: {"sentiment": "positive" if i < 5 or k else "negative"}
    )
    made = honeypots.generate_honeypots(db, team.lead, pid, limit=10)
    assert sorted(m["item_id"] for m in made) == [1, 2, 3, 4]
    assert honeypots.generate_honeypots(db, team.lead, pid) == []  # they are gold now
    with db.uow(read_only=True) as uow:
        copies = uow.session.scalars(select(Item).where(Item.is_gold.is_(True))).all()
        kinds = set(uow.session.scalars(select(GoldAnswer.kind)))
    assert kinds == {"honeypot"} and {c.state for c in copies} == {"open"}
    # the members who labelled them are never served them again; a newcomer is
    for who in team.annotators:
        try:
            lease = assignment.next_item(db, who, pid)
        except Exception:
            lease = None
        assert lease is None or lease["item"]["id"] not in {c.id for c in copies}

    late = user(db, "late")  # joins after the honeypots were made
    projects.set_member(db, team.admin, pid, username="late", roles=["annotator"])
    guidelines.acknowledge(db, late, pid, version=1)
    assert gold_supply(db, pid)["open_gold"] == 4  # served as gold is, where it lies in the queue
    for copy, right in zip(copies, (False, False, True, False), strict=True):
        _answer(db, pid, copy.id, late.user_id, right)
    report = honeypots.honeypot_report(db, pid)
    assert report["late"] == {"n": 4, "missed": 3, "miss_rate": 0.75, "recent_missed": 3}
    assert "late" not in quality.gold_report(db, pid)["members"]  # not a knowledge gap
    scan_quality(db)
    (alert,) = alerts.list_alerts(db, pid, kind="honeypot_miss")
    assert alert["subject"] == "member:late" and alert["evidence"]["paused"] is True
    rate = alert["evidence"]["expected_false_alarms"]["per_window_at_2pct_misses"]
    assert rate == pytest.approx(1 - 0.98**10 - 10 * 0.02 * 0.98**9, abs=1e-4)
    assert "missed 3 of their last 4 honeypots" in alert["message"]
    with db.uow(read_only=True) as uow:
        status = uow.session.scalar(select(Member.status).where(Member.user_id == late.user_id))
    assert status == "paused"
    scan_quality(db)  # the next scan refreshes the alert, it does not add one
    assert len(alerts.list_alerts(db, pid, kind="honeypot_miss")) == 1


def test_the_honeypot_routes_are_staff_only(db):
    team = build(db, annotators=2, items=1, overlap=2)
    client = TestClient(create_app(db=db))

    def auth(user_id: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {accounts.issue_token(db, None, user_id=user_id)}"}

    url = f"/api/v1/projects/{team.project_id}/quality/honeypots"
    assert client.get(url, headers=auth(team.lead.user_id)).json() == {}
    made = client.post(f"{url}/generate", json={"limit": 5}, headers=auth(team.lead.user_id))
    assert made.status_code == 201 and made.json() == []
    annotator = auth(team.annotators[0].user_id)
    assert client.get(url, headers=annotator).status_code == 403
    assert client.post(f"{url}/generate", json={}, headers=annotator).status_code == 403
    bad = client.post(f"{url}/generate", json={"limit": 0}, headers=auth(team.lead.user_id))
    assert bad.status_code == 422 and bad.json()["field"] == "limit"


def test_a_lead_marks_a_honeypot_by_hand_and_only_staff_see_its_kind(db):
    team = build(db, annotators=1, items=2)
    client = TestClient(create_app(db=db))
    lead = {"Authorization": f"Bearer {accounts.issue_token(db, None, user_id=team.lead.user_id)}"}
    url = f"/api/v1/projects/{team.project_id}/items/1"
    body = {"value": {"sentiment": "positive"}, "kind": "honeypot"}
    made = client.put(f"{url}/gold", json=body, headers=lead)
    assert made.status_code == 200 and made.json()["kind"] == "honeypot"
    assert client.get(url, headers=lead).json()["gold"]["kind"] == "honeypot"
    wrong = client.put(f"{url}/gold", json={**body, "kind": "trap"}, headers=lead)
    assert wrong.status_code == 422 and wrong.json()["field"] == "kind"
