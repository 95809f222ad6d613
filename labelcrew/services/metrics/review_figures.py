"""Metrics that come from the review capability (correction rate, recurring error tags,
escalations). That capability is built separately: its service and tables are looked up when
the metrics are asked for, and the figures say `available: false` (with the reason) while it
is not installed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from labelcrew.domain.metrics.calc import pareto, rate
from labelcrew.services.escalations.counts import level_counts
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
    """Per level, by ticket state as the inbox shows them (`escalations.counts`)."""
    return {"available": True, "levels": level_counts(uow, project_id)}
