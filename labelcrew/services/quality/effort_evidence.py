"""Effort evidence for the members a quality scan alarms on (`domain.quality.effort`): their
latest labels' time per item against the team's and their own earlier time, and their longest
run of one answer against how often the team gives it. Read in the scan's read-only unit of
work; the alerts carry it as `evidence["effort"]` and say in words what fired."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import select

from labelcrew.db.models.core import Annotation, Item, User
from labelcrew.domain.quality.effort import effort_signals
from labelcrew.services.uow import UnitOfWork

WINDOW = 200  # a member's latest labels that are judged


def _answer(value: Mapping[str, Any], field: str | None) -> Hashable:
    if field:
        return str(value.get(field))
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def effort_of(
    uow: UnitOfWork, project_id: int, members: Iterable[str], field: str | None
) -> dict[str, dict[str, Any]]:
    """member -> effort signals, for each of `members` with labels (on non-gold items)."""
    wanted = set(members)
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(Annotation.id, User.username, Annotation.duration_ms, Annotation.value)
        .join(User, User.id == Annotation.annotator_id)
        .join(Item, Item.id == Annotation.item_id)
        .where(Annotation.project_id == project_id, Item.is_gold.is_(False))
        .order_by(Annotation.id)
    ).all()
    ids = [r.id for r in rows]  # in id order
    by_member: dict[str, list[Any]] = {}
    for r in rows:
        if r.username in wanted:
            by_member.setdefault(r.username, []).append(r)
    out = {}
    for member, mine in sorted(by_member.items()):
        latest, earlier = mine[-WINDOW:], mine[:-WINDOW]
        others = [r for r in rows[bisect_left(ids, latest[0].id) :] if r.username != member]
        out[member] = effort_signals(
            [r.duration_ms for r in latest],
            [r.duration_ms for r in earlier[-WINDOW:]],
            [r.duration_ms for r in others],
            [_answer(r.value, field) for r in latest],
            [_answer(r.value, field) for r in others],
        )
    return out
