"""Gold items inside the normal queue: indistinguishable, scored, driving membership state."""

from __future__ import annotations

import random

from sqlalchemy import select

from labelcrew.db.models.core import Annotation, AuditEvent, Member
from labelcrew.services.projects import items, projects
from labelcrew.services.work import assignment, submission
from tests.integration.team import add_items, build


def _shape(value):
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def test_gold_and_ordinary_items_look_alike(db):
    team = build(db, annotators=1, items=4)
    items.set_gold(db, team.admin, team.project_id, 1, value={"sentiment": "negative"}, rule="1.1")
    projects.update_project(db, team.admin, team.project_id, {"gold_rate": 0.5})
    a = team.annotators[0]
    db.rng = random.Random(3)
    shapes, served_gold = set(), False
    for _ in range(4):
        lease = assignment.next_item(db, a, team.project_id)
        served_gold |= lease["item"]["id"] == 1
        shapes.add(repr(_shape(lease)))
        assert "gold" not in repr(lease).lower()
        submission.submit(
            db,
            a,
            team.project_id,
            lease["item"]["id"],
            {"sentiment": "positive"},
            idempotency_key=None,
        )
    assert served_gold and len(shapes) == 1
    with db.uow(read_only=True) as uow:
        scored = uow.session.scalar(select(Annotation.gold_correct).where(Annotation.item_id == 1))
    assert scored is False


def test_onboarding_qualification_then_probation(db):
    team = build(db, annotators=1, items=5)
    add_items(db, team.project_id, 10, start=50)
    for item_id in range(6, 16):
        items.set_gold(
            db, team.admin, team.project_id, item_id, value={"sentiment": "positive"}, rule="1.1"
        )
    a = team.annotators[0]
    projects.set_member(
        db,
        team.admin,
        team.project_id,
        username=a.username,
        roles=["annotator"],
        status="onboarding",
    )
    for _ in range(10):
        lease = assignment.next_item(db, a, team.project_id)
        assert lease["item"]["id"] >= 6  # onboarding members get only the qualification set
        submission.submit(
            db,
            a,
            team.project_id,
            lease["item"]["id"],
            {"sentiment": "positive"},
            idempotency_key=None,
        )
    with db.uow(read_only=True) as uow:
        status = uow.session.scalar(select(Member.status).where(Member.user_id == a.user_id))
        moves = uow.session.scalars(
            select(AuditEvent.after).where(AuditEvent.action == "member.status")
        ).all()
    assert status == "probation"
    assert moves and moves[-1]["evidence"]["score"] == 1.0


def test_random_clicker_on_probation_is_paused_within_ten_gold_answers(db):
    team = build(db, annotators=1, items=0)
    add_items(db, team.project_id, 60, start=0)
    gold_ids = set(range(1, 61, 2))  # gold is served where it lies, so it sits among the rest
    for item_id in gold_ids:
        items.set_gold(
            db, team.admin, team.project_id, item_id, value={"sentiment": "positive"}, rule="1.1"
        )
    a = team.annotators[0]
    projects.set_member(
        db,
        team.admin,
        team.project_id,
        username=a.username,
        roles=["annotator"],
        status="probation",
    )
    projects.update_project(db, team.admin, team.project_id, {"probation_gold_rate": 1.0})
    answered = 0
    for _ in range(30):
        lease = assignment.next_item(db, a, team.project_id)
        submission.submit(
            db,
            a,
            team.project_id,
            lease["item"]["id"],
            {"sentiment": "negative"},
            idempotency_key=None,
        )
        answered += lease["item"]["id"] in gold_ids
        with db.uow(read_only=True) as uow:
            if (
                uow.session.scalar(select(Member.status).where(Member.user_id == a.user_id))
                == "paused"
            ):
                break
    assert answered <= 10
    with db.uow(read_only=True) as uow:
        assert (
            uow.session.scalar(select(Member.status).where(Member.user_id == a.user_id)) == "paused"
        )
