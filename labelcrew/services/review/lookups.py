"""What other capabilities read of reviews and escalations: items behind rulings, items whose
reviews or escalations cite a rule, the most escalated and the most corrected items.

Relabel, calibration and the metrics read these through plain model queries: it is one
package with one migration chain, so the tables are always there (they used to be reflected
by name, and a missing table silently read as empty)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import or_, select

from labelcrew.db.models.feedback import Escalation, Review
from labelcrew.services.uow import UnitOfWork

CORRECTING_VERDICTS = ("correct", "reject")


def escalation_items(uow: UnitOfWork, project_id: int, ids: Iterable[int]) -> dict[int, int | None]:
    """Escalation id -> its item id, for the ids that exist in this project."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(Escalation.id, Escalation.item_id).where(
            Escalation.id.in_(wanted), Escalation.project_id == project_id
        )
    )
    return {int(r[0]): (None if r[1] is None else int(r[1])) for r in rows}


def escalation_items_for_rules(uow: UnitOfWork, project_id: int, rules: set[str]) -> set[int]:
    """Items of escalations about one of the rules (asked about, or ruled under)."""
    if not rules:
        return set()
    cited = sorted(rules)
    rows = uow.session.execute(
        select(Escalation.item_id).where(
            or_(Escalation.rule_number.in_(cited), Escalation.ruling_rule.in_(cited)),
            Escalation.project_id == project_id,
        )
    )
    return {int(r[0]) for r in rows if r[0] is not None}


def review_items_for_rules(uow: UnitOfWork, project_id: int, rules: set[str]) -> set[int]:
    """Items with a review that cites one of the rules (`reviews.rule_refs`, a JSON list)."""
    if not rules:
        return set()
    rows = uow.session.execute(
        select(Review.item_id, Review.rule_refs).where(Review.project_id == project_id)
    )
    return {
        int(item_id)
        for item_id, refs in rows
        if any(str(r) in rules for r in (refs or []) if r is not None)
    }


def escalation_counts(uow: UnitOfWork, project_id: int) -> Counter[int]:
    rows = uow.session.execute(
        select(Escalation.item_id).where(Escalation.project_id == project_id)
    )
    return Counter(int(r[0]) for r in rows if r[0] is not None)


def correction_counts(uow: UnitOfWork, project_id: int) -> Counter[int]:
    rows = uow.session.execute(
        select(Review.item_id).where(
            Review.verdict.in_(CORRECTING_VERDICTS), Review.project_id == project_id
        )
    )
    return Counter(int(r[0]) for r in rows if r[0] is not None)
