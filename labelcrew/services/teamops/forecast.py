"""Capacity forecasts: each working annotator's measured rate, the plan (`labelcrew report
plan`, `GET /projects/{id}/plan`: when the project and each batch will be done, against their
deadlines) and the team's load with overload and absence flags (`team_load`, which
redistribution acts on). The inputs (member hours, shifts, levels, deadlines) are set through
`capacity`."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import case, exists, func, select

from labelcrew.db.models.core import Annotation, Assignment, Batch, BatchClaim, Item, Member, User
from labelcrew.db.models.teamops import ProjectPlan
from labelcrew.domain.teamops import planning
from labelcrew.services.projects.projects import load_project
from labelcrew.services.teamops import settings as teamops_settings
from labelcrew.services.teamops.capacity import members_with_profiles
from labelcrew.services.uow import Database, UnitOfWork

WORKING_STATUSES = ("active", "probation")


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
        members_with_profiles(project_id)
        .where(Member.status.in_(WORKING_STATUSES))
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
