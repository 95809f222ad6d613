"""Which items are hard enough for a calibration session, and what a session's answers say.

Hard items come from three ranked lists: most disagreed (live annotations split on the primary
field: disagreement = 1 - (count of the most frequent value) / (number of labels)), most
escalated and most corrected (when the review and escalation tables exist). `auto` takes them
in turn from each list, so one source cannot crowd the others out. Only finished items are
picked (state "done": nobody can be served them again), never gold: a session shows every item
to a group and would reveal a gold one; and since a picked item is known not to be gold, picking
open items would tell annotators that items they may still be served are not gold (issue 14).
Gold stays open, so "finished" says nothing about any item still in the queue.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Annotation, Item
from labelcrew.domain.quality.agreement.summary import summarize
from labelcrew.services.review import lookups as review_lookups
from labelcrew.services.uow import UnitOfWork

PICKS = ("auto", "disagreed", "escalated", "corrected")


def disagreement(uow: UnitOfWork, project_id: int, field: str) -> dict[int, tuple[float, int]]:
    """Item id -> (disagreement, number of labels) over live labels of non-gold items."""
    rows = uow.session.execute(
        select(Annotation.item_id, Annotation.value)
        .join(Item, Item.id == Annotation.item_id)
        .where(
            Annotation.project_id == project_id,
            Annotation.superseded_at.is_(None),
            Item.is_gold.is_(False),
        )
    )
    values: dict[int, Counter[Any]] = {}
    for item_id, value in rows:
        if value.get(field) is not None:
            values.setdefault(item_id, Counter())[value[field]] += 1
    out = {}
    for item_id, counts in values.items():
        n = sum(counts.values())
        if n >= 2:
            out[item_id] = (1.0 - max(counts.values()) / n, n)
    return out


def _ranked(uow: UnitOfWork, project_id: int, field: str, pick: str) -> list[int]:
    if pick == "disagreed":
        split = disagreement(uow, project_id, field)
        hard = [(item, score) for item, score in split.items() if score[0] > 0]
        return [item for item, _ in sorted(hard, key=lambda x: (-x[1][0], -x[1][1], x[0]))]
    counts = (
        review_lookups.escalation_counts(uow, project_id)
        if pick == "escalated"
        else review_lookups.correction_counts(uow, project_id)
    )
    return [item for item, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]


def pick_hard_items(
    uow: UnitOfWork, project_id: int, field: str, *, size: int, pick: str
) -> list[tuple[int, str]]:
    """Up to `size` (item id, reason) pairs, hardest first."""
    sources = ["disagreed", "escalated", "corrected"] if pick == "auto" else [pick]
    ranked = {source: _ranked(uow, project_id, field, source) for source in sources}
    finished = set(
        uow.session.scalars(
            select(Item.id).where(
                Item.project_id == project_id, Item.state == "done", Item.is_gold.is_(False)
            )
        )
    )
    chosen: dict[int, str] = {}
    cursors = dict.fromkeys(sources, 0)
    while len(chosen) < size and any(cursors[s] < len(ranked[s]) for s in sources):
        for source in sources:
            lst = ranked[source]
            while cursors[source] < len(lst):
                item_id = lst[cursors[source]]
                cursors[source] += 1
                if item_id not in chosen and item_id in finished:
                    chosen[item_id] = source
                    break
            if len(chosen) >= size:
                break
    return list(chosen.items())


def results(answers: list[tuple[int, int, Hashable]], item_ids: list[int]) -> dict[str, Any]:
    """Agreement over (item, rater, value) answers and the split of values per item."""
    split: dict[int, Counter[str]] = {i: Counter() for i in item_ids}
    for item_id, _, value in answers:
        split.setdefault(item_id, Counter())[str(value)] += 1
    per_item = [
        {
            "item_id": item_id,
            "answers": sum(counts.values()),
            "split": dict(counts.most_common()),
            "agreement": (max(counts.values()) / sum(counts.values())) if counts else None,
        }
        for item_id, counts in split.items()
    ]
    usable = [a for a in answers if a[2] is not None]
    summary = None
    if len({rater for _, rater, _ in usable}) >= 2:
        summary = summarize(
            [a[0] for a in usable], [str(a[1]) for a in usable], [str(a[2]) for a in usable]
        )
    alpha = None if summary is None else summary["alpha"]["nominal"]
    return {
        "alpha": alpha,
        "agreement": summary,
        "items": sorted(per_item, key=lambda r: (r["agreement"] or 0.0, r["item_id"])),
    }
