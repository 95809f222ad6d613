"""Capacity inputs: member availability and levels (weekly hours, time zone, shift, skills,
rates) and project and batch deadlines. The plan and the team's load that these feed are
`capacity_forecast`."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, and_, select

from labelcrew.db.models.core import Batch, Member, User
from labelcrew.db.models.teamops import MemberProfile, ProjectPlan
from labelcrew.domain.teamops.seniority import LEVELS
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.teamops import settings as teamops_settings
from labelcrew.services.uow import Database, UnitOfWork


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


def members_with_profiles(project_id: int) -> Select[Member, str, MemberProfile]:
    """Each member of the project with their username and capacity profile (None if unset)."""
    return (
        select(Member, User.username, MemberProfile)
        .join(User, User.id == Member.user_id)
        .outerjoin(
            MemberProfile,
            and_(
                MemberProfile.project_id == Member.project_id,
                MemberProfile.user_id == Member.user_id,
            ),
        )
        .where(Member.project_id == project_id)
    )


def list_profiles(db: Database, ref: int | str) -> list[dict[str, Any]]:
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        rows = uow.session.execute(members_with_profiles(project.id).order_by(User.username))
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
