"""The weekly snapshot (seed 000: "Monday: publish priorities + metrics snapshot"): one page
that everyone on the team reads.

It holds the current priorities, throughput, the quality numbers against last week, drift and
agreement alerts, top error tags, overdue escalations, the guideline changes of the week, the
week's top-quality examples per member and each member's improvement trend. A lead sees every
member's numbers; anyone else sees the team's and their own (`for_viewer`). `publish_weekly`
stores the rendered page and emits `report.weekly_published`; `weekly_job` does that every
Monday for the week that just ended.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import (
    Project,
    User,
)
from labelcrew.db.models.metrics import WeeklyReport
from labelcrew.domain.metrics.calc import iso_week
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.metrics import dashboard as metrics
from labelcrew.services.metrics import rollup as metrics_rollup
from labelcrew.services.metrics import sql as metrics_sql
from labelcrew.services.metrics.weekly.sections import (
    alerts_section,
    alpha_at,
    guideline_changes,
    priorities_section,
)
from labelcrew.services.metrics.weekly.trends import member_trends, top_examples
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.quality.field_agreement import week_against_last
from labelcrew.services.uow import Database

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
TREND_WEEKS = 4


def week_start(week: str | None, today: date) -> date:
    """Monday of an ISO week like 2026-W47; by default the last complete week."""
    if week is None or week == "":
        return today - timedelta(days=today.weekday() + 7)
    match = WEEK.match(week)
    if match is None:
        raise ValidationFailed(
            f"week must look like 2026-W47, got {week!r}", field="week", code="bad_week"
        )
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValidationFailed(f"no ISO week {week!r}", field="week", code="bad_week") from None


def _change(
    name: str, label: str, now: Any, before: Any, better: str | None, unit: str
) -> dict[str, Any]:
    """One quality line: value now and last week, the arrow, and whether it moved the right
    way (`better` is 'up', 'down' or None when neither direction is good in itself)."""
    if now is None or before is None or now == before:
        arrow = "→" if now is not None and before is not None else ""
        judged = None
    else:
        arrow = "↑" if now > before else "↓"
        judged = None if better is None else (arrow == "↑") == (better == "up")
    return {
        "metric": name,
        "label": label,
        "this_week": now,
        "last_week": before,
        "arrow": arrow,
        "better": judged,
        "unit": unit,
    }


def weekly_snapshot(
    db: Database, project_id: int, week: str | None = None, *, closed_only: bool = False
) -> dict[str, Any]:
    """The full (lead's) snapshot of one ISO week; see `for_viewer` for everyone else's.

    `closed_only` refuses a week that is not over yet: an annotator who reads the live week
    before and after each of their own submits sees which ones moved a gold-only figure (gold
    accuracy) or a non-gold-only one (disagreement, examples), and so which items were gold."""
    with db.uow(read_only=True) as uow:
        project = uow.session.get(Project, project_id)
        if project is None:
            raise NotFound(f"no project {project_id}", code="project_not_found")
        monday = week_start(week, uow.now.date())
        if closed_only and monday + timedelta(days=7) > uow.now.date():
            raise ValidationFailed(
                f"week {iso_week(monday)} is not over yet; your role sees completed weeks only",
                field="week",
                code="week_not_over",
            )
    sunday = monday + timedelta(days=6)
    now = metrics.project_metrics(db, project_id, date_from=monday, date_to=sunday, group_by=None)
    before = metrics.project_metrics(
        db,
        project_id,
        date_from=monday - timedelta(days=7),
        date_to=monday - timedelta(days=1),
        group_by=None,
        refresh=False,
    )
    lo, hi = metrics_sql.period_bounds(monday, sunday)
    fields = week_against_last(db, project_id, lo, hi)
    with db.uow(read_only=True) as uow:
        project = uow.session.get(Project, project_id)
        assert project is not None
        field = metrics_sql.primary_field(uow, project)
        names = dict(uow.session.execute(select(User.id, User.username)).all())
        trends = member_trends(uow, project_id, field, monday, TREND_WEEKS, names)
        examples = top_examples(uow, project_id, field, lo, hi, names)
        quality = [
            _change("labels", "Labels", now["labels"], before["labels"], "up", "count"),
            _change(
                "disagreement_rate",
                "Disagreement on overlap items",
                now["disagreement_rate"],
                before["disagreement_rate"],
                "down",
                "rate",
            ),
            _change(
                "gold_accuracy",
                "Gold accuracy",
                now["gold_accuracy"],
                before["gold_accuracy"],
                "up",
                "rate",
            ),
            _change(
                "alpha",
                "Agreement (Krippendorff's alpha)",
                alpha_at(uow, project_id, hi),
                alpha_at(uow, project_id, lo),
                "up",
                "ratio",
            ),
            _change(
                "median_time",
                "Median time per item (annotation)",
                now["time_by_queue"].get("annotation", {}).get("median_s"),
                before["time_by_queue"].get("annotation", {}).get("median_s"),
                None,
                "seconds",
            ),
        ]
        correction_now = now["review"].get("correction_rate")
        if correction_now is not None:
            quality.append(
                _change(
                    "correction_rate",
                    "Correction rate (reviews)",
                    correction_now,
                    before["review"].get("correction_rate"),
                    "down",
                    "rate",
                )
            )
        snapshot = {
            "project": {"id": project.id, "slug": project.slug, "name": project.name},
            "week": iso_week(monday),
            "period": {"from": monday.isoformat(), "to": sunday.isoformat()},
            "previous_week": iso_week(monday - timedelta(days=7)),
            "priorities": priorities_section(uow, project),
            "throughput": {
                "labels": now["labels"],
                "last_week": before["labels"],
                "members_active": now["members_active"],
                "per_day": now["throughput"]["per_day"],
                "per_member": now["throughput"]["per_member"],
            },
            "quality": quality,
            "field_agreement": fields,
            "time_by_queue": now["time_by_queue"],
            "alerts": alerts_section(uow, project_id, lo, hi),
            "error_tags": now["review"].get("pareto", {}).get("by_tag", [])[:5],
            "review_available": bool(now["review"].get("available")),
            "escalations": now["escalations"],
            "guideline_changes": guideline_changes(uow, project_id, lo, hi),
            "examples": examples,
            "members": trends["members"],
            "team_trend": trends["team"],
            "visibility": "everyone",
        }
    return snapshot


# What an example says about its item: left out for readers without item-level access
# (annotators), since examples are never gold and so mark their items as certainly not gold.
EXAMPLE_ITEM_KEYS = ("item_id", "external_id", "excerpt")


def for_viewer(
    snapshot: dict[str, Any], *, user_id: int, sees_everyone: bool, item_counts: bool = True
) -> dict[str, Any]:
    """Leads see everyone's numbers; any other member sees the team's and their own: their
    own throughput, trend and top-quality examples, and the alerts about the project, a field
    or themselves. Other members' examples (name, item, label) and alerts about them stay out
    (issue 17: annotators read their colleagues' names, items and labels here).

    `item_counts=False` (annotators) also leaves out the live open-item counts per batch and
    outside any batch, and which items the examples are: counts that move with one's own
    submits, and items known not to be gold, would tell gold items apart (issue 14)."""
    if sees_everyone:
        return snapshot
    mine = dict(snapshot)
    if not item_counts:
        priorities = snapshot["priorities"]
        mine["priorities"] = {
            "notes": priorities["notes"],
            "batches": [
                {k: v for k, v in b.items() if k != "open_items"} for b in priorities["batches"]
            ],
        }
        mine["examples"] = [
            {k: v for k, v in e.items() if k not in EXAMPLE_ITEM_KEYS} for e in snapshot["examples"]
        ]
    mine["throughput"] = {
        **snapshot["throughput"],
        "per_member": [
            r for r in snapshot["throughput"]["per_member"] if r["member_id"] == user_id
        ],
    }
    mine["members"] = [m for m in snapshot["members"] if m["member_id"] == user_id]
    mine["examples"] = [e for e in mine["examples"] if e["member_id"] == user_id]
    own_name = next((m["member"] for m in mine["members"]), None)
    mine["alerts"] = [
        a for a in snapshot["alerts"] if _alert_is_shown(a["subject"], own_name, item_counts)
    ]
    mine["visibility"] = "team and own"
    return mine


def _alert_is_shown(subject: str, own_name: str | None, item_counts: bool) -> bool:
    """An alert about another member (`member:<name>` or `member:<name>:...`) is theirs and
    the lead's; one about an item (a disputed gold answer) only for readers with item-level
    access. Alerts about the project, a field or a session are the team's."""
    kind, _, rest = subject.partition(":")
    if kind == "member":
        return own_name is not None and rest.split(":")[0] == own_name
    return item_counts or kind in ("project", "field", "session")


def publish_weekly(db: Database, project_id: int, week: str | None = None) -> dict[str, Any]:
    """Store the rendered snapshot of a week (once per project and week) and emit
    `report.weekly_published`. Publishing a week again returns the stored report."""
    from labelcrew.domain.metrics.weekly_render import render_markdown

    snapshot = weekly_snapshot(db, project_id, week)
    markdown = render_markdown(snapshot)
    with db.uow() as uow:
        existing = uow.session.scalar(
            select(WeeklyReport).where(
                WeeklyReport.project_id == project_id, WeeklyReport.week == snapshot["week"]
            )
        )
        if existing is not None:
            return {"id": existing.id, "week": existing.week, "created": False}
        report = WeeklyReport(
            project_id=project_id,
            week=snapshot["week"],
            markdown=markdown,
            content=snapshot,
            published_at=uow.now,
        )
        uow.session.add(report)
        uow.session.flush()
        audit(
            uow,
            actor_id=None,
            action="report.weekly_publish",
            entity_type="weekly_report",
            entity_id=report.id,
            project_id=project_id,
            after={"week": report.week},
        )
        emit(
            uow,
            project_id=project_id,
            event_type="report.weekly_published",
            payload={"project_id": project_id, "week": report.week, "report_id": report.id},
        )
        uow.commit()
        return {"id": report.id, "week": report.week, "created": True}


def published(db: Database, project_id: int, week: str) -> dict[str, Any] | None:
    with db.uow(read_only=True) as uow:
        r = uow.session.scalar(
            select(WeeklyReport).where(
                WeeklyReport.project_id == project_id, WeeklyReport.week == week
            )
        )
        if r is None:
            return None
        return {
            "id": r.id,
            "week": r.week,
            "markdown": r.markdown,
            "published_at": r.published_at.isoformat(),
        }


def weekly_job(db: Database) -> int:
    """Every Monday (UTC), publish last week's snapshot of every project that has none yet;
    returns how many it published. Safe to run often: other days it does nothing."""
    today = db.clock().date()
    if today.weekday() != 0:
        return 0
    week = iso_week(today - timedelta(days=7))
    with db.uow(read_only=True) as uow:
        project_ids = list(uow.session.scalars(select(Project.id).order_by(Project.id)))
    return sum(1 for pid in project_ids if publish_weekly(db, pid, week)["created"])


def refresh_rollups(db: Database) -> None:
    """Keep every project's metrics rollups current, so dashboard reads stay small."""
    with db.uow(read_only=True) as uow:
        project_ids = list(uow.session.scalars(select(Project.id).order_by(Project.id)))
    for pid in project_ids:
        metrics_rollup.refresh(db, pid)
