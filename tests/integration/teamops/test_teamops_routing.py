"""Difficulty routing and self-check on the hot path, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from labelcrew.db.models.core import Item
from labelcrew.db.models.feedback import ReviewTask
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.projects import projects
from labelcrew.services.teamops import capacity
from labelcrew.services.teamops import settings as teamops_settings
from labelcrew.services.work import assignment, returns, submission
from labelcrew.services.work import difficulty_hooks as routing
from tests.integration.team import add_items, build

VALUE = {"sentiment": "positive"}


def _difficulty(db, item_id):
    with db.uow(read_only=True) as uow:
        return uow.session.scalar(select(Item.difficulty).where(Item.id == item_id))


def test_hard_items_go_to_seniors_first_and_new_members_get_easy(db):
    team = build(db, annotators=3, items=0)
    pid = team.project_id
    senior, junior, newbie = team.annotators
    add_items(db, pid, 1, difficulty="hard", priority=9)
    add_items(db, pid, 1, start=1, difficulty="normal", priority=5)
    add_items(db, pid, 1, start=2, difficulty="easy", priority=1)
    capacity.set_profile(db, team.lead, pid, senior.user_id, {"level": "senior"})
    projects.set_member(
        db, team.admin, pid, username="ann2", roles=["annotator"], status="probation"
    )
    ids = {}
    with db.uow(read_only=True) as uow:
        for external, item_id in uow.session.execute(select(Item.external_id, Item.id)):
            ids[external] = item_id
    assert assignment.next_item(db, junior, pid)["item"]["id"] == ids["x1"]  # normal before hard
    assert assignment.next_item(db, senior, pid)["item"]["id"] == ids["x0"]  # hard first
    assert assignment.next_item(db, newbie, pid)["item"]["id"] == ids["x2"]  # easy


def test_junior_falls_back_to_hard_items_and_probation_never_gets_them(db):
    team = build(db, annotators=2, items=0)
    pid = team.project_id
    junior, newbie = team.annotators
    add_items(db, pid, 1, difficulty="hard")
    projects.set_member(
        db, team.admin, pid, username="ann1", roles=["annotator"], status="probation"
    )
    with pytest.raises(NotFound) as err:
        assignment.next_item(db, newbie, pid)
    assert err.value.code == "queue_empty"
    lease = assignment.next_item(db, junior, pid)  # nothing easier left: the junior takes it
    assert lease["item"]["payload"] == {"text": "item number 0"}


def test_skip_and_disagreement_raise_difficulty(db):
    team = build(db, annotators=3, items=1, overlap=2)
    pid = team.project_id
    a, b, c = team.annotators
    item_id = assignment.next_item(db, a, pid)["item"]["id"]
    with db.uow() as uow:
        uow.session.execute(update(Item).values(difficulty="easy"))
        uow.commit()
    returns.give_back(db, a, pid, item_id, skip=True)
    assert _difficulty(db, item_id) == "normal"
    for who, label in ((b, "positive"), (c, "negative")):
        lease = assignment.next_item(db, who, pid)
        assert lease["item"]["id"] == item_id
        submission.submit(db, who, pid, item_id, {"sentiment": label}, idempotency_key=None)
    assert _difficulty(db, item_id) == "hard"


def test_agreeing_labels_leave_difficulty_alone(db):
    team = build(db, annotators=2, items=1, overlap=2)
    pid = team.project_id
    for who in team.annotators:
        item_id = assignment.next_item(db, who, pid)["item"]["id"]
        submission.submit(db, who, pid, item_id, VALUE, idempotency_key=None)
    assert _difficulty(db, item_id) == "normal"


def test_senior_flag_makes_item_hard_and_queues_review(db):
    team = build(db, annotators=1, items=1)
    pid = team.project_id
    a = team.annotators[0]
    item_id = assignment.next_item(db, a, pid)["item"]["id"]
    out = routing.flag_for_senior(db, a, pid, item_id, reason="sarcasm or praise?")
    assert out["difficulty"] == "hard" and out["senior_review"] is True
    assert _difficulty(db, item_id) == "hard"
    with pytest.raises(ValidationFailed):
        routing.flag_for_senior(db, a, pid, item_id, reason="")


def test_selfcheck_rules_and_checklist_on_submit(db):
    team = build(db, annotators=1, items=2)
    pid = team.project_id
    a = team.annotators[0]
    teamops_settings.update_settings(
        db,
        team.lead,
        pid,
        {
            "selfcheck": [
                {
                    "id": "neg-note",
                    "kind": "required_if",
                    "field": "note",
                    "if": {"field": "sentiment", "equals": "negative"},
                }
            ],
            "checklist": [{"id": "read-all", "text": "I read the whole review"}],
        },
    )
    item_id = assignment.next_item(db, a, pid)["item"]["id"]
    with pytest.raises(ValidationFailed) as err:
        submission.submit(db, a, pid, item_id, {"sentiment": "negative"}, idempotency_key=None)
    assert err.value.code == "checklist_incomplete" and err.value.details["unticked"] == [
        "read-all"
    ]
    with pytest.raises(ValidationFailed) as err:
        submission.submit(
            db,
            a,
            pid,
            item_id,
            {"sentiment": "negative"},
            idempotency_key=None,
            checklist=["read-all"],
        )
    assert err.value.code == "selfcheck_failed" and err.value.field == "value.note"
    assert "neg-note" in err.value.message
    done = submission.submit(
        db,
        a,
        pid,
        item_id,
        {"sentiment": "negative", "note": "broken on arrival"},
        idempotency_key=None,
        checklist=["read-all"],
    )
    assert done["created"]
    with pytest.raises(ValidationFailed) as err:
        teamops_settings.update_settings(db, team.lead, pid, {"selfcheck": [{"kind": "x"}]})
    assert err.value.field == "selfcheck[0].kind"


def test_a_disagreement_on_a_later_field_makes_the_item_hard_and_queues_it(db):
    """Same sentiment, different severity: hard item and a review task, as for the first field."""
    schema = {
        "fields": [
            {"name": "sentiment", "kind": "single_choice", "options": ["positive", "negative"]},
            {"name": "severity", "kind": "rating", "min": 1, "max": 5, "step": 1},
            {"name": "note", "kind": "text", "required": False},
        ]
    }
    team = build(db, annotators=2, items=1, overlap=2, schema=schema)
    pid = team.project_id
    for k, who in enumerate(team.annotators):
        item_id = assignment.next_item(db, who, pid)["item"]["id"]
        value = {"sentiment": "positive", "severity": 4 - k, "note": f"note {k}"}
        submission.submit(db, who, pid, item_id, value, idempotency_key=None)
    assert _difficulty(db, item_id) == "hard"
    with db.uow(read_only=True) as uow:
        (task,) = uow.session.scalars(select(ReviewTask).where(ReviewTask.item_id == item_id))
    assert [r["kind"] for r in task.reasons] == ["disagreement"]


def test_different_free_text_notes_alone_are_no_disagreement(db):
    team = build(db, annotators=2, items=1, overlap=2)
    pid = team.project_id
    for k, who in enumerate(team.annotators):
        item_id = assignment.next_item(db, who, pid)["item"]["id"]
        value = {"sentiment": "positive", "note": f"my own words {k}"}
        submission.submit(db, who, pid, item_id, value, idempotency_key=None)
    assert _difficulty(db, item_id) == "normal"
