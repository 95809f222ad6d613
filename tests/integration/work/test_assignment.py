"""The assignment engine on both backends: leases, overlap, WIP, skip/release, idempotency."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from labelcrew.db.models.core import Annotation, AuditEvent, Item, OutboxEvent
from labelcrew.errors import Conflict, Forbidden, NotFound, ValidationFailed
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.work import assignment, returns, submission
from tests.integration.team import build

VALUE = {"sentiment": "positive"}


def test_next_returns_own_lease_until_submitted(db, clock):
    team = build(db)
    a = team.annotators[0]
    first = assignment.next_item(db, a, team.project_id)
    again = assignment.next_item(db, a, team.project_id)
    assert again["item"]["id"] == first["item"]["id"]
    out = submission.submit(
        db, a, team.project_id, first["item"]["id"], VALUE, idempotency_key="k1"
    )
    assert out["created"] and out["schema_version"] == 1 and out["guideline_version"] == 1
    following = assignment.next_item(db, a, team.project_id)
    assert following["item"]["id"] != first["item"]["id"]


def test_overlap_one_gives_each_item_to_one_annotator(db):
    team = build(db, annotators=2, items=4, overlap=1)
    a, b = team.annotators
    seen = []
    for who in (a, b, a, b):
        lease = assignment.next_item(db, who, team.project_id)
        seen.append(lease["item"]["id"])
        submission.submit(
            db, who, team.project_id, lease["item"]["id"], VALUE, idempotency_key=None
        )
    assert len(set(seen)) == 4
    with pytest.raises(NotFound) as err:
        assignment.next_item(db, a, team.project_id)
    assert err.value.code == "queue_empty"


def test_overlap_three_and_never_twice(db):
    team = build(db, annotators=4, items=2, overlap=3)
    counts: dict[int, int] = {}
    for who in team.annotators:
        for _ in range(2):
            try:
                lease = assignment.next_item(db, who, team.project_id)
            except NotFound:
                break
            submission.submit(
                db, who, team.project_id, lease["item"]["id"], VALUE, idempotency_key=None
            )
            counts[lease["item"]["id"]] = counts.get(lease["item"]["id"], 0) + 1
    assert sorted(counts.values()) == [3, 3]
    with db.uow(read_only=True) as uow:
        states = set(uow.session.scalars(select(Item.state)))
        pairs = uow.session.execute(select(Annotation.item_id, Annotation.annotator_id)).all()
    assert states == {"done"}
    assert len(pairs) == len(set(pairs)) == 6


def test_expired_lease_returns_to_pool_and_late_submit_is_refused(db, clock):
    team = build(db, annotators=2, items=1)
    a, b = team.annotators
    lease = assignment.next_item(db, a, team.project_id)
    with pytest.raises(NotFound):
        assignment.next_item(db, b, team.project_id)
    clock.advance(901)
    taken = assignment.next_item(db, b, team.project_id)
    assert taken["item"]["id"] == lease["item"]["id"]
    with pytest.raises(Conflict) as err:
        submission.submit(db, a, team.project_id, lease["item"]["id"], VALUE, idempotency_key=None)
    assert err.value.code in ("lease_expired", "no_lease")


def test_expired_lease_comes_back_to_owner_when_still_free(db, clock):
    team = build(db, annotators=1, items=3)
    a = team.annotators[0]
    lease = assignment.next_item(db, a, team.project_id)
    clock.advance(5000)
    again = assignment.next_item(db, a, team.project_id)
    assert again["item"]["id"] == lease["item"]["id"]
    assert again["expires_at"] > lease["expires_at"]


def test_idempotent_submit_returns_the_same_annotation(db):
    team = build(db)
    a = team.annotators[0]
    lease = assignment.next_item(db, a, team.project_id)
    first = submission.submit(
        db, a, team.project_id, lease["item"]["id"], VALUE, idempotency_key="abc"
    )
    retry = submission.submit(
        db, a, team.project_id, lease["item"]["id"], VALUE, idempotency_key="abc"
    )
    assert retry["annotation_id"] == first["annotation_id"] and retry["created"] is False
    with db.uow(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Annotation)) == 1
        events = uow.session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.event_type == "item.annotated")
        )
        audits = uow.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "annotation.submit")
        )
    assert events == 1 and audits == 1


def test_invalid_value_names_the_field(db):
    team = build(db)
    a = team.annotators[0]
    lease = assignment.next_item(db, a, team.project_id)
    with pytest.raises(ValidationFailed) as err:
        submission.submit(
            db, a, team.project_id, lease["item"]["id"], {"sentiment": "meh"}, idempotency_key=None
        )
    assert err.value.field == "sentiment"


def test_skip_and_release(db):
    team = build(db, annotators=1, items=2)
    a = team.annotators[0]
    first = assignment.next_item(db, a, team.project_id)["item"]["id"]
    returns.give_back(db, a, team.project_id, first, skip=True)
    second = assignment.next_item(db, a, team.project_id)["item"]["id"]
    assert second != first
    returns.give_back(db, a, team.project_id, second, skip=False)
    # released items come back (to anyone, this annotator included); skipped ones do not
    assert assignment.next_item(db, a, team.project_id)["item"]["id"] == second


def test_wip_limit(db):
    team = build(db, annotators=1, items=5, wip_limit=2)
    a = team.annotators[0]
    assignment.next_item(db, a, team.project_id)
    assignment.next_item(db, a, team.project_id, another=True)
    with pytest.raises(Conflict) as err:
        assignment.next_item(db, a, team.project_id, another=True)
    assert err.value.code == "wip_limit_reached"


def test_guideline_acknowledgement_gate(db):
    team = build(db, annotators=1)
    a = team.annotators[0]
    guidelines.save_draft(
        db,
        team.lead,
        team.project_id,
        title="v2",
        body="",
        rules=[
            {"number": "1.1", "text": "Label the overall sentiment."},
            {"number": "1.2", "text": "Sarcasm counts as negative."},
        ],
    )
    guidelines.publish(db, team.lead, team.project_id, version=2, changelog="sarcasm rule")
    with pytest.raises(Forbidden) as err:
        assignment.next_item(db, a, team.project_id)
    assert err.value.code == "guideline_ack_required"
    guidelines.acknowledge(db, a, team.project_id, version=2)
    lease = assignment.next_item(db, a, team.project_id)
    out = submission.submit(
        db, a, team.project_id, lease["item"]["id"], VALUE, idempotency_key=None
    )
    assert out["guideline_version"] == 2


def test_priority_then_age(db):
    from tests.integration.team import add_items

    team = build(db, annotators=1, items=3)
    add_items(db, team.project_id, 1, start=100, priority=5)
    a = team.annotators[0]
    lease = assignment.next_item(db, a, team.project_id)
    assert lease["item"]["payload"]["text"] == "item number 100"


def test_skills_are_matched(db):
    from sqlalchemy import update

    from labelcrew.services.projects import projects

    team = build(db, annotators=2, items=2)
    with db.uow() as uow:
        uow.session.execute(update(Item).values(required_skills=["medical:2"]))
        uow.commit()
    a, b = team.annotators
    projects.set_member(
        db,
        team.admin,
        team.project_id,
        username=b.username,
        roles=["annotator"],
        skills={"medical": 3},
    )
    with pytest.raises(NotFound):
        assignment.next_item(db, a, team.project_id)
    assert assignment.next_item(db, b, team.project_id)["item"]["id"]
