"""Per-member parts of the weekly snapshot: improvement trends and top-quality examples.

- *Gold accuracy* of a week: correct gold answers / gold answers submitted that week.
- *Agreement with the consensus* of a week: of the member's live labels made that week on
  non-gold items with >= 2 live labels and a unique most frequent value (the consensus, all
  live labels counted), the share equal to the consensus. Items without a unique majority
  (e.g. 1 vs 1) are left out.
- A *top-quality example* is an item the member labelled during the week on which every live
  label agrees (>= 2 labels); per member the items with the most agreeing labels come first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Annotation, Item, Project
from labelcrew.domain.metrics.calc import iso_week, rate
from labelcrew.services.metrics import sql as metrics_sql
from labelcrew.services.teamops import privacy
from labelcrew.services.uow import UnitOfWork

EXAMPLES_PER_MEMBER = 2


def _live_labels(
    uow: UnitOfWork, project_id: int, field: str, lo: datetime, hi: datetime
) -> list[Any]:
    """Every live label of the non-gold items that got a live label in [lo, hi)."""
    touched = (
        select(Annotation.item_id)
        .where(
            Annotation.project_id == project_id,
            Annotation.superseded_at.is_(None),
            Annotation.created_at >= lo,
            Annotation.created_at < hi,
        )
        .distinct()
    )
    return list(
        uow.session.execute(
            select(
                Annotation.item_id,
                Annotation.annotator_id,
                metrics_sql.primary_value(field).label("value"),
                Annotation.created_at,
                Item.external_id,
                Item.payload,
            )
            .join(Item, Item.id == Annotation.item_id)
            .where(
                Annotation.item_id.in_(touched),
                Annotation.superseded_at.is_(None),
                Item.is_gold.is_(False),
            )
            .order_by(Annotation.item_id, Annotation.id)
        )
    )


def _consensus(values: list[Any]) -> Any | None:
    ranked = Counter(v for v in values if v is not None).most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def member_trends(
    uow: UnitOfWork,
    project_id: int,
    field: str | None,
    monday: date,
    weeks: int,
    names: dict[int, str],
) -> dict[str, Any]:
    """Gold accuracy and agreement with the consensus per member for the `weeks` weeks that end
    with the week starting `monday` (oldest first), and the direction of the latest change."""
    first = monday - timedelta(days=7 * (weeks - 1))
    labels = [iso_week(first + timedelta(days=7 * k)) for k in range(weeks)]
    lo, hi = metrics_sql.period_bounds(first, monday + timedelta(days=6))
    gold: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    work: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a in uow.session.execute(
        metrics_sql.activity_query(project_id, lo, hi, sqlite=uow.db.is_sqlite)
    ):
        week = iso_week(metrics_sql.as_date(a.day))
        gold[a.annotator_id][week][0] += int(a.gold_correct)
        gold[a.annotator_id][week][1] += a.gold_answers
        work[a.annotator_id][week] += a.labels
    agree: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    team_agree: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    if field is not None:
        by_item: dict[int, list[Any]] = defaultdict(list)
        for row in _live_labels(uow, project_id, field, lo, hi):
            by_item[row.item_id].append(row)
        for rows in by_item.values():
            consensus = _consensus([r.value for r in rows]) if len(rows) >= 2 else None
            if consensus is None:
                continue
            for r in rows:
                if not lo <= r.created_at < hi:
                    continue
                week = iso_week(r.created_at.date())
                for cell in (agree[r.annotator_id][week], team_agree[week]):
                    cell[0] += int(r.value == consensus)
                    cell[1] += 1
    members = []
    for member_id in sorted(set(work) | set(agree), key=lambda m: names.get(m, str(m))):
        acc = [rate(*gold[member_id][w]) if gold[member_id][w][1] else None for w in labels]
        agr = [rate(*agree[member_id][w]) if agree[member_id][w][1] else None for w in labels]
        members.append(
            {
                "member_id": member_id,
                "member": names.get(member_id, str(member_id)),
                "weeks": labels,
                "labels": [work[member_id].get(w, 0) for w in labels],
                "gold_accuracy": acc,
                "agreement": agr,
                "trend": _trend(agr) or _trend(acc),
            }
        )
    team = [rate(*team_agree[w]) if team_agree[w][1] else None for w in labels]
    return {"members": members, "team": {"weeks": labels, "agreement": team}}


def _trend(series: list[float | None]) -> str | None:
    """Latest week against the mean of the earlier weeks that have a value."""
    latest, earlier = series[-1], [v for v in series[:-1] if v is not None]
    if latest is None or not earlier:
        return None
    base = sum(earlier) / len(earlier)
    if abs(latest - base) < 0.01:
        return "steady"
    return "improving" if latest > base else "declining"


def top_examples(
    uow: UnitOfWork,
    project_id: int,
    field: str | None,
    lo: datetime,
    hi: datetime,
    names: dict[int, str],
) -> list[dict[str, Any]]:
    if field is None:
        return []
    project = uow.session.get(Project, project_id)
    assert project is not None
    by_item: dict[int, list[Any]] = defaultdict(list)
    for row in _live_labels(uow, project_id, field, lo, hi):
        by_item[row.item_id].append(row)
    candidates: dict[int, list[tuple[int, int, Any]]] = defaultdict(list)
    for item_id, rows in by_item.items():
        values = {r.value for r in rows}
        if len(rows) < 2 or len(values) != 1 or None in values:
            continue
        for r in rows:
            if lo <= r.created_at < hi:
                candidates[r.annotator_id].append((-len(rows), item_id, r))
    examples = []
    for member_id in sorted(candidates, key=lambda m: names.get(m, str(m))):
        for size, item_id, r in sorted(candidates[member_id], key=lambda c: c[:2])[
            :EXAMPLES_PER_MEMBER
        ]:
            # Every member reads the report: the excerpt is masked as for a member without roles.
            shown = (
                privacy.present(project, r.payload, privacy.EVERYONE)
                if isinstance(r.payload, dict)
                else {}
            )
            text = shown.get("text")
            examples.append(
                {
                    "member_id": member_id,
                    "member": names.get(member_id, str(member_id)),
                    "item_id": item_id,
                    "external_id": r.external_id,
                    "label": r.value,
                    "agreed": -size,
                    "excerpt": (str(text)[:80] if text else None),
                    "why": f"all {-size} labels agree",
                }
            )
    return examples
