"""Dynamic overlap through the real submit path: ask for another label until the posterior
confidence reaches the project's target or the maximum overlap is reached."""

from __future__ import annotations

from sqlalchemy import select

from labelcrew.db.models.core import Item
from labelcrew.services.projects import projects
from labelcrew.services.work import assignment, submission
from tests.integration.team import build


def _label(db, team, who, value):
    lease = assignment.next_item(db, who, team.project_id)
    submission.submit(
        db, who, team.project_id, lease["item"]["id"], {"sentiment": value}, idempotency_key=None
    )
    return lease["item"]["id"]


def _item(db, item_id):
    with db.uow(read_only=True) as uow:
        item = uow.session.scalar(select(Item).where(Item.id == item_id))
        return item.state, item.overlap_target, item.annotation_count


def test_agreeing_labels_stop_early_and_disagreement_asks_for_more(db):
    team = build(db, annotators=3, items=1, overlap=1)
    projects.update_project(
        db,
        team.admin,
        team.project_id,
        {"overlap_policy": "dynamic", "target_confidence": 0.9, "max_overlap": 3},
    )
    a, b, _ = team.annotators
    item_id = _label(db, team, a, "positive")
    assert _item(db, item_id) == ("open", 2, 1)  # one label at accuracy 0.7 is not enough
    _label(db, team, b, "positive")
    assert _item(db, item_id) == ("done", 2, 2)  # two agreeing labels reach 0.92


def test_disagreement_runs_to_the_maximum(db):
    team = build(db, annotators=3, items=1, overlap=1)
    projects.update_project(
        db,
        team.admin,
        team.project_id,
        {"overlap_policy": "dynamic", "target_confidence": 0.9, "max_overlap": 3},
    )
    a, b, c = team.annotators
    item_id = _label(db, team, a, "positive")
    _label(db, team, b, "negative")
    assert _item(db, item_id) == ("open", 3, 2)
    _label(db, team, c, "neutral")
    assert _item(db, item_id) == ("done", 3, 3)


def test_a_split_on_a_later_field_asks_for_another_label(db):
    """The sentiment agrees at 0.92, the severity is split 4 vs 3: a third label is asked for,
    and the third agreeing on 4 (2 of 3, below 0.9) runs the item to the maximum."""
    schema = {
        "fields": [
            {"name": "sentiment", "kind": "single_choice", "options": ["positive", "negative"]},
            {"name": "severity", "kind": "rating", "min": 1, "max": 5, "step": 1},
        ]
    }
    team = build(db, annotators=3, items=1, overlap=1, schema=schema)
    projects.update_project(
        db,
        team.admin,
        team.project_id,
        {"overlap_policy": "dynamic", "target_confidence": 0.9, "max_overlap": 3},
    )
    pid = team.project_id
    served = []
    for who, severity in zip(team.annotators, (4, 3, 4), strict=True):
        lease = assignment.next_item(db, who, pid)
        value = {"sentiment": "positive", "severity": severity}
        submission.submit(db, who, pid, lease["item"]["id"], value, idempotency_key=None)
        served.append(_item(db, lease["item"]["id"]))
    assert served == [("open", 2, 1), ("open", 3, 2), ("done", 3, 3)]
