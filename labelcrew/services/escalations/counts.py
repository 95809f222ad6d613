"""Escalation figures per level, counted by ticket state exactly as the inbox filters them.

The dashboard, the metrics API and the weekly snapshot read these numbers; the inbox lists
the same tickets by `state`. Both go by the state column: a ticket resolved by a ruling is
resolved (it never had an answer time, which once left it open for ever), and an answered
level-1 ticket is answered, not resolved (issue 17). `waiting` and `overdue` are the inbox's
waiting filter (open or escalated) and its overdue mark (waiting past the SLA due time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from statistics import median
from typing import Any

from sqlalchemy import select

from labelcrew.db.models.feedback import Escalation
from labelcrew.services.escalations.tickets import WAITING
from labelcrew.services.uow import UnitOfWork


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _hours(start: datetime, end: datetime) -> float:
    return (_aware(end) - _aware(start)).total_seconds() / 3600


def _median(values: list[float]) -> float | None:
    return round(median(values), 2) if values else None


def level_counts(uow: UnitOfWork, project_id: int) -> dict[str, dict[str, Any]]:
    """Per current level ("1", "2"): `open` (waiting: open or escalated), `overdue`,
    `answered`, `resolved`, and the median hours from opening to the answer and to the
    ruling."""
    rows = uow.session.execute(
        select(
            Escalation.level,
            Escalation.state,
            Escalation.created_at,
            Escalation.due_at,
            Escalation.answered_at,
            Escalation.resolved_at,
        ).where(Escalation.project_id == project_id)
    )
    now = _aware(uow.now)
    levels: dict[str, dict[str, Any]] = {}
    to_answer: dict[str, list[float]] = {}
    to_resolve: dict[str, list[float]] = {}
    for level, state, created, due, answered, resolved in rows:
        key = str(level)
        entry = levels.setdefault(key, {"open": 0, "overdue": 0, "answered": 0, "resolved": 0})
        if state in WAITING:
            entry["open"] += 1
            entry["overdue"] += int(due is not None and _aware(due) < now)
        elif state == "answered":
            entry["answered"] += 1
            if answered is not None:
                to_answer.setdefault(key, []).append(_hours(created, answered))
        elif state == "resolved":
            entry["resolved"] += 1
            if resolved is not None:
                to_resolve.setdefault(key, []).append(_hours(created, resolved))
    for key, entry in levels.items():
        entry["median_hours_to_answer"] = _median(to_answer.get(key, []))
        entry["median_hours_to_resolve"] = _median(to_resolve.get(key, []))
    return dict(sorted(levels.items()))
