"""Read-only access to the review and escalation tables of the feedback capability, when they
exist. Relabel and calibration use them (items behind rulings, items whose reviews cite a rule,
most escalated and most corrected items) but must work on a database without them, so the
tables are looked up by name rather than imported.

Expected shape (the columns we read): `escalations(id, project_id, item_id, rule_number,
ruling_rule)` and
`reviews(item_id, verdict, <rule refs>)` where the rule references are a JSON list in a column
named one of `RULE_REF_COLUMNS`, or rows of a `review_rule_refs(review_id, rule_number)` table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import MetaData, Table, inspect, or_, select

from labelcrew.db.models.core import Base, Item
from labelcrew.services.uow import UnitOfWork

RULE_REF_COLUMNS = ("rule_refs", "rule_references", "rule_numbers", "rules")
CORRECTING_VERDICTS = ("correct", "reject")


def table(uow: UnitOfWork, name: str) -> Table | None:
    """The table if it exists: from the models' metadata, else reflected from the database."""
    known = Base.metadata.tables.get(name)
    if known is not None:
        return known
    connection = uow.session.connection()
    if not inspect(connection).has_table(name):
        return None
    return Table(name, MetaData(), autoload_with=connection)


def _in_project(uow: UnitOfWork, t: Table, project_id: int) -> Any:
    """A WHERE clause keeping rows of one project (through the item when there is no project)."""
    if "project_id" in t.c:
        return t.c.project_id == project_id
    return t.c.item_id.in_(select(Item.id).where(Item.project_id == project_id))


def escalations_available(uow: UnitOfWork) -> bool:
    return table(uow, "escalations") is not None


def escalation_items(uow: UnitOfWork, project_id: int, ids: Iterable[int]) -> dict[int, int | None]:
    """Escalation id -> its item id, for the ids that exist in this project."""
    t = table(uow, "escalations")
    wanted = sorted(set(ids))
    if t is None or not wanted:
        return {}
    rows = uow.session.execute(
        select(t.c.id, t.c.item_id).where(t.c.id.in_(wanted), _in_project(uow, t, project_id))
    )
    return {int(r[0]): (None if r[1] is None else int(r[1])) for r in rows}


def escalation_items_for_rules(uow: UnitOfWork, project_id: int, rules: set[str]) -> set[int]:
    """Items of escalations about one of the rules (asked about, or ruled under)."""
    t = table(uow, "escalations")
    columns = [
        t.c[name] for name in ("rule_number", "ruling_rule") if t is not None and name in t.c
    ]
    if t is None or not rules or not columns:
        return set()
    rows = uow.session.execute(
        select(t.c.item_id).where(
            or_(*(c.in_(sorted(rules)) for c in columns)), _in_project(uow, t, project_id)
        )
    )
    return {int(r[0]) for r in rows if r[0] is not None}


def review_items_for_rules(uow: UnitOfWork, project_id: int, rules: set[str]) -> set[int]:
    """Items with a review that cites one of the rules."""
    reviews = table(uow, "reviews")
    if reviews is None or not rules:
        return set()
    column = next((c for c in RULE_REF_COLUMNS if c in reviews.c), None)
    found: set[int] = set()
    if column is not None:
        rows = uow.session.execute(
            select(reviews.c.item_id, reviews.c[column]).where(
                _in_project(uow, reviews, project_id)
            )
        )
        for item_id, refs in rows:
            cited = refs if isinstance(refs, list) else [refs]
            if any(str(r) in rules for r in cited if r is not None):
                found.add(int(item_id))
    refs_table = table(uow, "review_rule_refs")
    if refs_table is not None and "review_id" in refs_table.c and "id" in reviews.c:
        number = refs_table.c.get("rule_number", refs_table.c.get("number"))
        if number is not None:
            rows = uow.session.execute(
                select(reviews.c.item_id)
                .join(refs_table, refs_table.c.review_id == reviews.c.id)
                .where(number.in_(sorted(rules)), _in_project(uow, reviews, project_id))
            )
            found.update(int(r[0]) for r in rows)
    return found


def escalation_counts(uow: UnitOfWork, project_id: int) -> Counter[int]:
    t = table(uow, "escalations")
    if t is None:
        return Counter()
    rows = uow.session.execute(select(t.c.item_id).where(_in_project(uow, t, project_id)))
    return Counter(int(r[0]) for r in rows if r[0] is not None)


def correction_counts(uow: UnitOfWork, project_id: int) -> Counter[int]:
    t = table(uow, "reviews")
    if t is None or "verdict" not in t.c:
        return Counter()
    rows = uow.session.execute(
        select(t.c.item_id).where(
            t.c.verdict.in_(CORRECTING_VERDICTS), _in_project(uow, t, project_id)
        )
    )
    return Counter(int(r[0]) for r in rows if r[0] is not None)
