"""Relabel preview: the items and labels a guideline revision would send back, counted before it
is published, equal to what the publish then does, with nothing written by the preview."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from labelcrew.db.models.core import Annotation, Item
from labelcrew.db.models.guidelines import Relabel
from labelcrew.errors import ValidationFailed
from labelcrew.services.guidelines import relabel, relabel_preview
from tests.integration.relabel_team import labelled_team


def _superseded(db) -> int:
    with db.uow(read_only=True) as uow:
        return (
            uow.session.scalar(select(func.count()).where(Annotation.superseded_at.is_not(None)))
            or 0
        )


def test_preview_counts_what_the_publish_then_sends_back(db):
    team = labelled_team(db)
    pid = team.project_id
    with db.uow() as uow:  # a gold item is never sent back, only counted
        uow.session.execute(update(Item).where(Item.id == 4).values(is_gold=True))
        uow.commit()
    criteria = {"rules": ["1.1"], "labels": ["negative"], "items": [3, 4]}
    seen = relabel_preview.preview_relabel(db, pid, relabel=criteria)
    assert seen == {
        "items": 2,
        "superseded": 4,  # two live labels on each of items 1 and 3
        "skipped_gold": 1,
        "item_ids": [1, 3],
        "reasons": {"item": 1, "label:negative": 1, "rules:1.1": 1},
    }
    assert _superseded(db) == 0
    with db.uow(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Relabel)) == 0

    done = relabel.publish_revision(db, team.lead, pid, 2, "1.1 reworded", relabel=criteria)
    sent = done["relabel"]
    assert (sent["items"], sent["superseded"], sent["skipped_gold"]) == (2, 4, 1)
    assert sent["item_ids"] == seen["item_ids"]
    assert _superseded(db) == 4


def test_preview_refuses_what_the_publish_refuses(db):
    team = labelled_team(db)
    with pytest.raises(ValidationFailed) as refused:
        relabel_preview.preview_relabel(db, team.project_id, relabel={"labels": ["furious"]})
    assert refused.value.code == "unknown_label"
    with pytest.raises(ValidationFailed) as refused:
        relabel_preview.preview_relabel(db, team.project_id, relabel={"rules": ["one"]})
    assert refused.value.field == "relabel.rules"
