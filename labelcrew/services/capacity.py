"""Capacity, deadlines and forecasts: member availability and levels, project and batch
deadlines, the plan (`labelcrew report plan`, `GET /projects/{id}/plan`) and the team's load
with overload and absence flags."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, case, exists, func, select

from labelcrew.db.models import Annotation, Assignment, Batch, BatchClaim, Item, Member, User
from labelcrew.db.models_teamops import MemberProfile, ProjectPlan
from labelcrew.domain import planning
from labelcrew.domain.routing import LEVELS
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services import teamops_settings
from labelcrew.services.accounts import Actor
from labelcrew.services.events import audit
from labelcrew.services.projects import load_project
from labelcrew.services.uow import Database, UnitOfWork

WORKING_STATUSES = ("active", "probation")


def zone(name: str, field: str = "timezone") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            f"unknown time zone {name!r} (use an IANA name like 'Asia/Manila')", field=field
        ) from None


def profile_dict(m: Member, username: str, p: MemberProfile | None) -> dict[str, Any]:
    return {
        "user_id": m.user_id,
        "username": username,
        "roles": list(m.roles),
        "status": m.status,
        "level": m.level,
        "skills": dict(m.skills),
        "weekly_hours": None if p is None else p.weekly_hours,
        "timezone": "UTC" if p is None else p.timezone,
        "shift_start": 9 if p is None else p.shift_start,
        "shift_end": 17 if p is None else p.shift_end,
        "hourly_rate": None if p is None else p.hourly_rate,
        "item_rate": None if p is None else p.item_rate,
        "currency": "USD" if p is None else p.currency,
    }


def _member(uow: UnitOfWork, project_id: int, user_id: int) -> tuple[Member, str]:
    row = uow.session.execute(
        select(Member, User.username)
        .join(User, User.id == Member.user_id)
        .where(Member.project_id == project_id, Member.user_id == user_id)
    ).first()
    if row is None:
        raise NotFound(f"user {user_id} is not a member", code="member_not_found", field="user_id")
    return row[0], row[1]


def _check_profile(values: dict[str, Any]) -> dict[str, Any]:
    if "level" in values and values["level"] not in LEVELS:
        raise ValidationFailed(f"level must be one of {LEVELS}", field="level")
    hours = values.get("weekly_hours")
    if hours is not None and not 0 <= hours <= 168:
        raise ValidationFailed("weekly_hours must lie between 0 and 168", field="weekly_hours")
    for key in ("shift_start", "shift_end"):
        if key in values and values[key] is not None and not 0 <= values[key] <= 23:
            raise ValidationFailed(f"{key} must be an hour 0-23", field=key)
    for key in ("hourly_rate", "item_rate"):
        if values.get(key) is not None and values[key] < 0:
            raise ValidationFailed(f"{key} must be >= 0", field=key)
    if values.get("timezone") is not None:
        zone(values["timezone"])
    return values


def set_profile(
    db: Database, actor: Actor, ref: int | str, user_id: int, values: dict[str, Any]
) -> dict[str, Any]:
    """Set a member's level, skills, weekly hours, time zone, shift and rates (given keys only)."""
    clean = _check_profile({k: v for k, v in values.items() if v is not None})
    with db.uow() as uow:
        project = load_project(uow, ref)
        member, username = _member(uow, project.id, user_id)
        profile = uow.session.scalar(
            select(MemberProfile).where(
                MemberProfile.project_id == project.id, MemberProfile.user_id == user_id
            )
        )
        before = profile_dict(member, username, profile)
        if profile is None:
            settings = teamops_settings.of(project)["planning"]
            profile = MemberProfile(
                project_id=project.id,
                user_id=user_id,
                weekly_hours=float(settings["default_weekly_hours"]),
                timezone="UTC",
                shift_start=9,
                shift_end=17,
                currency="USD",
                updated_at=uow.now,
            )
            uow.session.add(profile)
        if "level" in clean:
            member.level = clean.pop("level")
        if "skills" in clean:
            skills = clean.pop("skills")
            if not isinstance(skills, dict):
                raise ValidationFailed("skills map names to levels", field="skills")
            member.skills = skills
        for key, value in clean.items():
            setattr(profile, key, value)
        profile.updated_at = uow.now
        uow.session.flush()
        after = profile_dict(member, username, profile)
        audit(
            uow,
            actor_id=actor.user_id,
            action="member.profile",
            entity_type="member",
            entity_id=member.id,
            project_id=project.id,
            before=before,
            after=after,
        )
        uow.commit()
        return after


def list_profiles(db: Database, ref: int | str) -> list[dict[str, Any]]:
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        rows = uow.session.execute(
            select(Member, User.username, MemberProfile)
            .join(User, User.id == Member.user_id)
            .outerjoin(
                MemberProfile,
                and_(
                    MemberProfile.project_id == Member.project_id,
                    MemberProfile.user_id == Member.user_id,
                ),
            )
            .where(Member.project_id == project.id)
            .order_by(User.username)
        )
        return [profile_dict(m, name, p) for m, name, p in rows]


def set_deadline(
    db: Database,
    actor: Actor,
    ref: int | str,
    deadline: datetime | None,
    *,
    batch_id: int | None = None,
) -> dict[str, Any]:
    """Set (or clear, with None) the project's deadline, or a batch's."""
    if deadline is not None and deadline.tzinfo is None:
        raise ValidationFailed(
            "deadline needs a time zone (e.g. 2026-12-01T17:00Z)", field="deadline"
        )
    with db.uow() as uow:
        project = load_project(uow, ref)
        if batch_id is not None:
            batch = uow.session.get(Batch, batch_id)
            if batch is None or batch.project_id != project.id:
                raise NotFound(f"no batch {batch_id}", code="batch_not_found", field="batch_id")
            before = batch.deadline
            batch.deadline, batch.updated_at = deadline, uow.now
            entity: tuple[str, int] = ("batch", batch.id)
        else:
            plan = uow.session.get(ProjectPlan, project.id)
            if plan is None:
                plan = ProjectPlan(project_id=project.id, updated_at=uow.now)
                uow.session.add(plan)
            before = plan.deadline
            plan.deadline, plan.updated_by, plan.updated_at = deadline, actor.user_id, uow.now
            entity = ("project", project.id)
        result = {
            "entity": entity[0],
            "id": entity[1],
            "deadline": None if deadline is None else deadline.isoformat(),
        }
        audit(
            uow,
            actor_id=actor.user_id,
            action="deadline.set",
            entity_type=entity[0],
            entity_id=entity[1],
            project_id=project.id,
            before={"deadline": None if before is None else before.isoformat()},
            after={"deadline": result["deadline"]},
        )
        uow.commit()
        return result


def _needed() -> Any:
    return case(
        (Item.overlap_target > Item.annotation_count, Item.overlap_target - Item.annotation_count),
        else_=0,
    )


def member_rates(
    uow: UnitOfWork, project_id: int, settings: dict[str, Any]
) -> list[dict[str, Any]]:
    """Working annotators with weekly hours and median seconds per label over the window."""
    since = uow.now - timedelta(days=float(settings["window_days"]))
    durations: dict[int, list[int]] = defaultdict(list)
    for user_id, ms in uow.session.execute(
        select(Annotation.annotator_id, Annotation.duration_ms).where(
            Annotation.project_id == project_id,
            Annotation.created_at >= since,
            Annotation.duration_ms.is_not(None),
        )
    ):
        durations[user_id].append(ms or 0)
    rows = uow.session.execute(
        select(Member, User.username, MemberProfile)
        .join(User, User.id == Member.user_id)
        .outerjoin(
            MemberProfile,
            and_(
                MemberProfile.project_id == Member.project_id,
                MemberProfile.user_id == Member.user_id,
            ),
        )
        .where(Member.project_id == project_id, Member.status.in_(WORKING_STATUSES))
        .order_by(Member.user_id)
    )
    out = []
    default_seconds = float(settings["default_seconds_per_label"])
    for member, username, profile in rows:
        if "annotator" not in member.roles:
            continue
        hours = profile.weekly_hours if profile else float(settings["default_weekly_hours"])
        seconds = planning.seconds_per_label(durations.get(member.user_id, []), default_seconds)
        rate = planning.MemberRate(member.user_id, hours, seconds)
        out.append(
            {
                "user_id": member.user_id,
                "username": username,
                "level": member.level,
                "skills": dict(member.skills),
                "weekly_hours": hours,
                "seconds_per_label": round(seconds, 3),
                "measured_labels": len(durations.get(member.user_id, [])),
                "labels_per_day": round(rate.labels_per_day, 3),
                "_rate": rate,
                "_profile": profile,
            }
        )
    return out


def plan(db: Database, ref: int | str) -> dict[str, Any]:
    """The forecast of the project and of each batch, in the order the queue serves them."""
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        settings = teamops_settings.of(project)["planning"]
        rates = member_rates(uow, project.id, settings)
        rows = uow.session.execute(
            select(Item.batch_id, func.sum(_needed()), func.max(Item.priority), func.count())
            .where(Item.project_id == project.id, Item.state == "open", Item.is_gold.is_(False))
            .group_by(Item.batch_id)
        ).all()
        batches = {
            b.id: b
            for b in uow.session.scalars(select(Batch).where(Batch.project_id == project.id))
        }
        owners = dict(uow.session.execute(select(User.id, User.username)).all())
        plan_row = uow.session.get(ProjectPlan, project.id)
        deadline = None if plan_row is None else plan_row.deadline
    ordered = sorted(rows, key=lambda r: (-(r[2] or 0), r[0] is None, r[0] or 0))
    units = [
        planning.WorkUnit(
            "unbatched" if bid is None else f"batch:{bid}",
            int(needed or 0),
            None if bid is None else batches[bid].deadline,
        )
        for bid, needed, _, _ in ordered
    ]
    # Batches with nothing left to label still have a deadline and a state worth showing.
    for bid, batch in sorted(batches.items()):
        if all(u.key != f"batch:{bid}" for u in units):
            units.append(planning.WorkUnit(f"batch:{bid}", 0, batch.deadline))
    project_fc, unit_fc = planning.forecast(units, [r["_rate"] for r in rates], uow.now, deadline)
    out_units = []
    for fc in unit_fc:
        entry = fc.to_dict()
        if fc.key.startswith("batch:"):
            batch = batches[int(fc.key.split(":")[1])]
            entry.update(
                batch_id=batch.id,
                name=batch.name,
                state=batch.state,
                owner=owners.get(batch.owner_id) if batch.owner_id else None,
            )
        out_units.append(entry)
    return {
        "project_id": project.id,
        "now": uow.now.isoformat(),
        "team": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rates],
        "team_labels_per_day": round(planning.team_rate([r["_rate"] for r in rates]), 3),
        "project": project_fc.to_dict(),
        "batches": out_units,
        "late": [u["key"] for u in out_units if u["late"]]
        + (["project"] if project_fc.late else []),
    }


def _local_hour(now: datetime, tz: str) -> int:
    try:
        return now.astimezone(ZoneInfo(tz)).hour
    except (ZoneInfoNotFoundError, ValueError):
        return now.hour


def team_load(db: Database, ref: int | str) -> dict[str, Any]:
    """Each working annotator's live leases and claimed-but-unlabeled batch items against their
    capacity over the horizon, with `overloaded` and `absent` flags."""
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        return load_in(uow, project.id, teamops_settings.of(project))


def load_in(uow: UnitOfWork, project_id: int, settings: dict[str, Any]) -> dict[str, Any]:
    policy = settings["redistribution"]
    rates = member_rates(uow, project_id, settings["planning"])
    leases = dict(
        uow.session.execute(
            select(Assignment.annotator_id, func.count())
            .where(
                Assignment.project_id == project_id,
                Assignment.state == "leased",
                Assignment.expires_at > uow.now,
            )
            .group_by(Assignment.annotator_id)
        ).all()
    )
    labeled = exists().where(
        Assignment.item_id == Item.id,
        Assignment.annotator_id == BatchClaim.user_id,
        Assignment.state.in_(("leased", "submitted", "skipped")),
    )
    claimed = dict(
        uow.session.execute(
            select(BatchClaim.user_id, func.count())
            .join(Item, Item.batch_id == BatchClaim.batch_id)
            .where(
                Item.project_id == project_id,
                Item.state == "open",
                Item.is_gold.is_(False),
                Item.annotation_count < Item.overlap_target,
                ~labeled,
            )
            .group_by(BatchClaim.user_id)
        ).all()
    )
    last = dict(
        uow.session.execute(
            select(Annotation.annotator_id, func.max(Annotation.created_at))
            .where(Annotation.project_id == project_id)
            .group_by(Annotation.annotator_id)
        ).all()
    )
    members = []
    for r in rates:
        profile = r["_profile"]
        tz = profile.timezone if profile else "UTC"
        start, end = (profile.shift_start, profile.shift_end) if profile else (9, 17)
        last_submit = last.get(r["user_id"])
        if last_submit is not None and last_submit.tzinfo is None:  # SQLite aggregate
            last_submit = last_submit.replace(tzinfo=uow.now.tzinfo)
        load = planning.MemberLoad(
            user_id=r["user_id"],
            live_leases=int(leases.get(r["user_id"], 0)),
            claimed_remaining=int(claimed.get(r["user_id"], 0)),
            labels_per_day=r["_rate"].labels_per_day,
            last_submit=last_submit,
            shift_end_passed=planning.shift_over(_local_hour(uow.now, tz), start, end),
        )
        flags = planning.load_flags(
            load,
            uow.now,
            horizon_days=float(policy["horizon_days"]),
            absence_hours=float(policy["absence_hours"]),
        )
        capacity = int(load.labels_per_day * float(policy["horizon_days"]))
        members.append(
            {
                "user_id": r["user_id"],
                "username": r["username"],
                "level": r["level"],
                "live_leases": load.live_leases,
                "claimed_remaining": load.claimed_remaining,
                "capacity": capacity,
                "spare": max(0, capacity - load.live_leases - load.claimed_remaining),
                "last_submit": None if last_submit is None else last_submit.isoformat(),
                "timezone": tz,
                "off_shift": load.shift_end_passed,
                "flags": flags,
                "skills": r["skills"],
            }
        )
    return {"project_id": project_id, "now": uow.now.isoformat(), "members": members}
