"""Priorities and cadence: a lead publishes which batches come first and why; the queue
follows at once (one UPDATE sets the priority of the named batches' open items, and the
candidate scan orders by priority); members see the current priorities and when they changed.
Release notes of guideline versions and dataset releases are read in one place, and the weekly
cadence (priorities + snapshot, calibration, release notes) runs from the worker."""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any, cast

from sqlalchemy import CursorResult, case, select, update

from labelcrew.db.models.core import Batch, GuidelineVersion, Item, User
from labelcrew.db.models.releases import Release
from labelcrew.db.models.teamops import Cadence, PriorityNotice
from labelcrew.domain.teamops.planning import next_weekly
from labelcrew.errors import ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.teamops.capacity import zone
from labelcrew.services.uow import Database, UnitOfWork

log = logging.getLogger("labelcrew.teamops")
MAX_PRIORITY = 1000
CADENCE_KINDS = ("priorities", "snapshot", "calibration", "release_notes")
CADENCE_EVERY_SECONDS = 300.0


def _notice_dict(n: PriorityNotice, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": n.id,
        "entries": n.entries,
        "reason": n.reason,
        "items_updated": n.items_updated,
        "published_by": names.get(n.published_by) if n.published_by else None,
        "published_at": n.published_at.isoformat(),
    }


def publish(
    db: Database, actor: Actor, ref: int | str, *, entries: list[dict[str, Any]], reason: str
) -> dict[str, Any]:
    """entries: [{"batch_id", "priority", "reason"}], first = most important."""
    if not reason.strip():
        raise ValidationFailed("say why the priorities change", field="reason")
    if not entries:
        raise ValidationFailed("name at least one batch", field="entries")
    with db.uow() as uow:
        project = load_project(uow, ref)
        batches = {
            b.id: b.name
            for b in uow.session.scalars(select(Batch).where(Batch.project_id == project.id))
        }
        clean = []
        for i, entry in enumerate(entries):
            batch_id, priority = entry.get("batch_id"), entry.get("priority")
            if batch_id not in batches:
                raise ValidationFailed(
                    f"no batch {batch_id!r} in this project", field=f"entries[{i}].batch_id"
                )
            if not isinstance(priority, int) or not -MAX_PRIORITY <= priority <= MAX_PRIORITY:
                raise ValidationFailed(
                    f"priority must be a whole number within +-{MAX_PRIORITY}",
                    field=f"entries[{i}].priority",
                )
            clean.append(
                {
                    "batch_id": batch_id,
                    "batch": batches[batch_id],
                    "priority": priority,
                    "reason": str(entry.get("reason", "")),
                }
            )
        ids = [e["batch_id"] for e in clean]
        if len(set(ids)) != len(ids):
            raise ValidationFailed("a batch appears twice", field="entries")
        # One statement: the candidate scan reads items.priority through its index at once.
        outcome = uow.session.execute(
            update(Item)
            .where(Item.project_id == project.id, Item.batch_id.in_(ids), Item.state == "open")
            .values(
                priority=case({e["batch_id"]: e["priority"] for e in clean}, value=Item.batch_id)
            )
            .execution_options(synchronize_session=False)
        )
        updated = cast(CursorResult[Any], outcome).rowcount
        notice = PriorityNotice(
            project_id=project.id,
            entries=clean,
            reason=reason,
            items_updated=int(updated or 0),
            published_by=actor.user_id,
            published_at=uow.now,
        )
        uow.session.add(notice)
        uow.session.flush()
        result = _notice_dict(notice, {actor.user_id: actor.username})
        audit(
            uow,
            actor_id=actor.user_id,
            action="priorities.publish",
            entity_type="project",
            entity_id=project.id,
            project_id=project.id,
            after=result,
        )
        emit(uow, project_id=project.id, event_type="priorities.published", payload=result)
        uow.commit()
        return result


def current(db: Database, ref: int | str, *, history: int = 10) -> dict[str, Any]:
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        rows = list(
            uow.session.scalars(
                select(PriorityNotice)
                .where(PriorityNotice.project_id == project.id)
                .order_by(PriorityNotice.id.desc())
                .limit(max(1, history))
            )
        )
        names = dict(uow.session.execute(select(User.id, User.username)).all())
        notices = [_notice_dict(n, names) for n in rows]
        return {
            "current": notices[0] if notices else None,
            "changed_at": notices[0]["published_at"] if notices else None,
            "history": notices[1:],
        }


def release_notes(db: Database, ref: int | str) -> dict[str, Any]:
    """Guideline changelogs and dataset release notes, newest first, in one list."""
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        notes: list[dict[str, Any]] = [
            {
                "kind": "guideline",
                "version": g.version,
                "title": g.title,
                "notes": g.changelog,
                "at": g.published_at.isoformat() if g.published_at else None,
            }
            for g in uow.session.scalars(
                select(GuidelineVersion).where(
                    GuidelineVersion.project_id == project.id,
                    GuidelineVersion.published_at.is_not(None),
                )
            )
        ]
        notes.extend(_release_notes(uow, project.id))
    notes.sort(key=lambda n: n["at"] or "", reverse=True)
    return {"project_id": project.id, "notes": notes}


def _release_notes(uow: UnitOfWork, project_id: int) -> list[dict[str, Any]]:
    out = []
    for r in uow.session.scalars(select(Release).where(Release.project_id == project_id)):
        manifest = r.manifest or {}
        notes = manifest.get("notes") or (
            f"{r.included} items released ({r.excluded} held back), method {r.method}"
        )
        out.append(
            {
                "kind": "release",
                "version": r.number,
                "title": r.name,
                "notes": str(notes),
                "at": r.created_at.isoformat(),
            }
        )
    return out


def _cadence_dict(c: Cadence) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "weekday": c.weekday,
        "hour": c.hour,
        "timezone": c.timezone,
        "next_due_at": c.next_due_at.isoformat(),
        "last_run_at": c.last_run_at.isoformat() if c.last_run_at else None,
        "last_result": c.last_result,
    }


def set_cadence(
    db: Database,
    actor: Actor,
    ref: int | str,
    *,
    kind: str,
    weekday: int,
    hour: int,
    timezone: str = "UTC",
) -> dict[str, Any]:
    """Schedule a weekly ritual, e.g. Monday 09:00 priorities + snapshot, Friday release notes."""
    if kind not in CADENCE_KINDS:
        raise ValidationFailed(f"kind must be one of {CADENCE_KINDS}", field="kind")
    if not 0 <= weekday <= 6:
        raise ValidationFailed("weekday is 0 (Monday) to 6 (Sunday)", field="weekday")
    if not 0 <= hour <= 23:
        raise ValidationFailed("hour is 0 to 23", field="hour")
    tz = zone(timezone)
    with db.uow() as uow:
        project = load_project(uow, ref)
        due = next_weekly(uow.now.astimezone(tz), weekday, hour).astimezone(UTC)
        row = uow.session.scalar(
            select(Cadence).where(Cadence.project_id == project.id, Cadence.kind == kind)
        )
        if row is None:
            row = Cadence(project_id=project.id, kind=kind, last_result={}, next_due_at=due)
            uow.session.add(row)
        row.weekday, row.hour, row.timezone, row.next_due_at = weekday, hour, timezone, due
        uow.session.flush()
        result = _cadence_dict(row)
        audit(
            uow,
            actor_id=actor.user_id,
            action="cadence.set",
            entity_type="project",
            entity_id=project.id,
            project_id=project.id,
            after=result,
        )
        uow.commit()
        return result


def list_cadences(db: Database, ref: int | str) -> list[dict[str, Any]]:
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        rows = uow.session.scalars(
            select(Cadence)
            .where(Cadence.project_id == project.id)
            .order_by(Cadence.weekday, Cadence.hour)
        )
        return [_cadence_dict(c) for c in rows]


def _perform(db: Database, project_id: int, kind: str) -> dict[str, Any]:
    """What a due ritual does; every one also emits `cadence.<kind>` for webhooks and the UI."""
    if kind == "snapshot":
        # Imported here: the weekly snapshot reads the published priorities (a cycle at import).
        from labelcrew.services.metrics.weekly import snapshot as weekly

        return {"snapshot": weekly.publish_weekly(db, project_id)}
    if kind == "priorities":
        now = current(db, project_id, history=1)["current"]
        return {"priorities_published_at": now["published_at"] if now else None}
    if kind == "release_notes":
        notes = release_notes(db, project_id)["notes"][:5]
        return {"latest": [{k: n[k] for k in ("kind", "version", "title", "at")} for n in notes]}
    return {"reminder": "calibration session due"}


def run_due_cadences(db: Database) -> int:
    """Periodic job: run every cadence whose time has come; returns how many ran."""
    with db.uow(read_only=True) as uow:
        due = [
            (c.id, c.project_id, c.kind)
            for c in uow.session.scalars(select(Cadence).where(Cadence.next_due_at <= uow.now))
        ]
    for cadence_id, project_id, kind in due:
        result = _perform(db, project_id, kind)
        with db.uow() as uow:
            row = uow.session.get(Cadence, cadence_id)
            if row is None:
                continue
            row.last_run_at, row.last_result = uow.now, result
            row.next_due_at = next_weekly(
                uow.now.astimezone(zone(row.timezone)), row.weekday, row.hour
            ).astimezone(UTC)
            emit(uow, project_id=project_id, event_type=f"cadence.{kind}", payload=result)
            audit(
                uow,
                actor_id=None,
                action="cadence.run",
                entity_type="project",
                entity_id=project_id,
                project_id=project_id,
                after={"kind": kind, "result": result},
            )
            uow.commit()
    return len(due)
