"""Honeypots are served at their own rate beside the gold rate (issue 21, part 3): a lead who
sets `honeypot_rate` gets about that share of honeypots per member, the gold share stays at
the gold rate, and with the rate at 0 honeypots come with the gold, as before."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import insert, update

from labelcrew.db.models.core import GoldAnswer, Item
from labelcrew.errors import ValidationFailed
from labelcrew.services.projects import projects
from labelcrew.services.work import assignment, submission
from tests.integration.team import build


def _world(db, honeypot_rate: float):
    team = build(db, annotators=1, items=600, overlap=1, wip_limit=1)
    pid = team.project_id
    rng = random.Random(5)
    ids = list(range(1, 601))
    picked = rng.sample(ids, 240)
    kinds = {i: ("honeypot" if k % 2 else "gold") for k, i in enumerate(picked)}
    with db.uow() as uow:
        uow.session.execute(update(Item).where(Item.id.in_(picked)).values(is_gold=True))
        uow.session.execute(
            insert(GoldAnswer),
            [
                {
                    "item_id": i,
                    "value": {"sentiment": "positive"},
                    "kind": kind,
                    "created_at": uow.now,
                }
                for i, kind in kinds.items()
            ],
        )
        uow.commit()
    settings = {"gold_rate": 0.1, "probation_gold_rate": 0.1, "honeypot_rate": honeypot_rate}
    projects.update_project(db, team.admin, pid, settings)
    return team, kinds


def _served(db, team, n: int) -> list[int]:
    out = []
    for k in range(n):
        item_id = assignment.next_item(db, team.annotators[0], team.project_id)["item"]["id"]
        value = {"sentiment": "positive"}
        submission.submit(
            db, team.annotators[0], team.project_id, item_id, value, idempotency_key=f"{k}"
        )
        out.append(item_id)
    return out


def test_honeypots_come_at_their_own_rate(db):
    team, kinds = _world(db, honeypot_rate=0.1)
    served = _served(db, team, 250)
    honeypots = sum(kinds.get(i) == "honeypot" for i in served)
    gold = sum(kinds.get(i) == "gold" for i in served)
    assert 0.05 <= honeypots / len(served) <= 0.16, honeypots
    assert 0.05 <= gold / len(served) <= 0.16, gold
    assert projects.get_project(db, team.project_id)["honeypot_rate"] == 0.1


def test_a_bad_rate_is_refused_by_name(db):
    team, _ = _world(db, honeypot_rate=0.0)
    with pytest.raises(ValidationFailed) as caught:
        projects.update_project(db, team.admin, team.project_id, {"honeypot_rate": 1.5})
    assert caught.value.field == "honeypot_rate"
