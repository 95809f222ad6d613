"""What a guideline revision would send back for relabel, before it is published.

The same selection as `relabel.publish_revision` (the same criteria and reasons, gold items left
out) in a read-only unit of work, so the guideline owner sees how many items and labels a
revision touches before confirming it. Nothing is written: the publish itself selects again, in
its own transaction, and reports what it really did.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from labelcrew.db.models.core import Annotation, Item
from labelcrew.services.guidelines.relabel import SHOWN_ITEM_IDS, _chunks, _touched, clean_spec
from labelcrew.services.projects.projects import load_project
from labelcrew.services.review import lookups as review_lookups
from labelcrew.services.uow import Database


def preview_relabel(
    db: Database,
    project_id: int | str,
    *,
    relabel: dict[str, Any] | None = None,
    links: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`{"items", "superseded", "skipped_gold", "item_ids", "reasons"}` for these criteria.

    `relabel` and `links` take the shapes `publish_revision` takes; `superseded` counts the live
    labels that would be kept but marked superseded; `reasons` counts the selected items per
    reason ('rules:4.2', 'label:negative', 'item', 'ruling:17').
    """
    spec = clean_spec(links, relabel)
    with db.uow(read_only=True) as uow:
        pid = load_project(uow, project_id).id
        rulings = review_lookups.escalation_items(uow, pid, spec["links"]["escalations"])
        reasons = _touched(uow, pid, spec, rulings)
        gold: set[int] = set()
        for chunk in _chunks(sorted(reasons)):
            gold.update(
                uow.session.scalars(
                    select(Item.id).where(Item.project_id == pid, Item.id.in_(chunk), Item.is_gold)
                )
            )
        ids = sorted(i for i in reasons if i not in gold)
        superseded = 0
        for chunk in _chunks(ids):
            superseded += (
                uow.session.scalar(
                    select(func.count())
                    .select_from(Annotation)
                    .where(Annotation.item_id.in_(chunk), Annotation.superseded_at.is_(None))
                )
                or 0
            )
        counts = Counter(why for i in ids for why in reasons[i])
    return {
        "items": len(ids),
        "superseded": superseded,
        "skipped_gold": len(gold),
        "item_ids": ids[:SHOWN_ITEM_IDS],
        "reasons": dict(sorted(counts.items())),
    }
