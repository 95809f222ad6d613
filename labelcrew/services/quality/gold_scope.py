"""Which scored gold answers judge a member's understanding: not those on honeypots (they test
attention and have their own metric, alert and pause rule: `honeypots`), and not those on a
gold item under an open dispute (`gold_disputes`). The gold report, the drift chart and the
membership rules all read gold answers through `knowledge_answers`."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select

from labelcrew.db.models.core import Annotation, GoldAnswer, Item
from labelcrew.services.quality.gold_disputes import disputed_item_ids
from labelcrew.services.uow import UnitOfWork

HONEYPOT = "honeypot"


def honeypot_items(project_id: int) -> ColumnElement[bool]:
    """SQL: the annotation is on one of the project's honeypots."""
    return Annotation.item_id.in_(
        select(GoldAnswer.item_id)
        .join(Item, Item.id == GoldAnswer.item_id)
        .where(Item.project_id == project_id, GoldAnswer.kind == HONEYPOT)
    )


def knowledge_answers(uow: UnitOfWork, project_id: int) -> ColumnElement[bool]:
    """SQL: the annotation is a gold answer that judges understanding (see the module)."""
    return and_(
        Annotation.gold_correct.is_not(None),
        ~honeypot_items(project_id),
        Annotation.item_id.not_in(disputed_item_ids(uow, project_id)),
    )
