"""Metrics that come from the review capability (correction rate, recurring error tags,
escalations). That capability is built separately: its service and tables are looked up when
the metrics are asked for, and the figures say `available: false` (with the reason) while it
is not installed."""

from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import select

from labelcrew.db.models.feedback import Escalation
from labelcrew.domain.metrics.calc import pareto, rate
from labelcrew.services.review import reviews
from labelcrew.services.uow import Database, UnitOfWork

PARETO_KEYS = ("by_tag", "by_rule", "by_label", "by_member")


def review_figures(
    db: Database, project_id: int, since: datetime, until: datetime, labels: int
) -> dict[str, Any]:
    """`labelcrew.services.review.reviews.feedback_stats` for the period, with a Pareto table for
    every count breakdown it returns, and the correction rate (corrected reviews / reviews)."""
    stats: dict[str, Any] = dict(reviews.feedback_stats(db, project_id, since=since, until=until))
    out: dict[str, Any] = {"available": True, "stats": stats}
    reviewed = stats.get("reviews", stats.get("reviewed"))
    corrected = stats.get("corrected", stats.get("corrections"))
    if isinstance(stats.get("correction_rate"), int | float):
        out["correction_rate"] = float(stats["correction_rate"])
    elif isinstance(reviewed, int) and isinstance(corrected, int):
        out["correction_rate"] = rate(corrected, reviewed)
    tags = stats.get("error_tags", stats)
    out["pareto"] = {
        key: pareto({str(k): int(v) for k, v in tags[key].items()})
        for key in PARETO_KEYS
        if isinstance(tags, dict) and isinstance(tags.get(key), dict)
    }
    return out


def escalations(uow: UnitOfWork, project_id: int) -> dict[str, Any]:
    """Per level: open, overdue (past their SLA due time) and the median hours from opening
    to the answer. An escalation is settled once it has an answer time (`answered_at`)."""
    query = select(
        Escalation.level, Escalation.created_at, Escalation.due_at, Escalation.answered_at
    ).where(Escalation.project_id == project_id)
    now = uow.now
    levels: dict[str, dict[str, Any]] = {}
    hours: dict[str, list[float]] = {}
    for level, created, due, done in uow.session.execute(query):
        entry = levels.setdefault(str(level), {"open": 0, "overdue": 0, "resolved": 0})
        if done is not None:
            entry["resolved"] += 1
            hours.setdefault(str(level), []).append(
                (_aware(done) - _aware(created)).total_seconds() / 3600
            )
        else:
            entry["open"] += 1
            entry["overdue"] += int(due is not None and _aware(due) < now)
    for key, entry in levels.items():
        spent = hours.get(key)
        entry["median_hours_to_resolve"] = round(median(spent), 2) if spent else None
    return {"available": True, "levels": dict(sorted(levels.items()))}


def _aware(value: Any) -> datetime:
    from datetime import UTC

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    moment: datetime = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment
