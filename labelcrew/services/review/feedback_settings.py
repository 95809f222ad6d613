"""What the feedback services share: their project settings and a few lookups.

Settings live in `projects.settings` (JSON), each with a default:

- `review_policy`: `{"audit_rate": 0.15, "probation_audit_rate": 0.3, "disagreement": true,
  "gold_miss": true, "flags": true}`: the random audit rate per annotated item for active
  members and for members on probation (or onboarding), and whether overlap disagreements,
  gold misses and annotator flags put items into the review queue;
- `escalation_sla_hours`: `{"1": 24, "2": 48}`: hours a ticket may wait at each level;
- `max_open_tickets_per_reviewer`: 10: open level-1 tickets a reviewer may hold.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, select

from labelcrew.db.models.core import Assignment, Item, Member, Project
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.uow import Database, UnitOfWork
from labelcrew.services.work.rows import ProjectRow

DEFAULT_POLICY: dict[str, Any] = {
    "audit_rate": 0.15,
    "probation_audit_rate": 0.3,
    "disagreement": True,
    "gold_miss": True,
    "flags": True,
}
DEFAULT_SLA_HOURS: dict[str, float] = {"1": 24.0, "2": 48.0}
DEFAULT_MAX_OPEN_TICKETS = 10
STAFF_ROLES = frozenset({"reviewer", "qa", "lead", "guideline_owner"})


def review_policy(project: Project | ProjectRow) -> dict[str, Any]:
    return {**DEFAULT_POLICY, **(project.settings or {}).get("review_policy", {})}


def sla_hours(project: Project) -> dict[str, float]:
    return {**DEFAULT_SLA_HOURS, **(project.settings or {}).get("escalation_sla_hours", {})}


def max_open_tickets(project: Project) -> int:
    return int(
        (project.settings or {}).get("max_open_tickets_per_reviewer", DEFAULT_MAX_OPEN_TICKETS)
    )


def settings_dict(project: Project) -> dict[str, Any]:
    return {
        "review_policy": review_policy(project),
        "escalation_sla_hours": sla_hours(project),
        "max_open_tickets_per_reviewer": max_open_tickets(project),
    }


def _clean_policy(values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in DEFAULT_POLICY:
            raise ValidationFailed(
                f"unknown review_policy key {key!r}; expected one of {sorted(DEFAULT_POLICY)}",
                field=f"review_policy.{key}",
            )
        if key.endswith("_rate"):
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValidationFailed(
                    f"{key} must be a number between 0 and 1", field=f"review_policy.{key}"
                )
            clean[key] = float(value)
        else:
            if not isinstance(value, bool):
                raise ValidationFailed(f"{key} must be true or false", field=f"review_policy.{key}")
            clean[key] = value
    return clean


def _clean_sla(values: dict[str, Any]) -> dict[str, float]:
    clean: dict[str, float] = {}
    for key, value in values.items():
        if str(key) not in ("1", "2"):
            raise ValidationFailed(
                f"escalation levels are '1' and '2', not {key!r}", field="escalation_sla_hours"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ValidationFailed(
                f"SLA hours for level {key} must be a positive number",
                field=f"escalation_sla_hours.{key}",
            )
        clean[str(key)] = float(value)
    return clean


def update_settings(
    db: Database,
    actor: Actor,
    project_id: int | str,
    *,
    review_policy: dict[str, Any] | None = None,
    escalation_sla_hours: dict[str, Any] | None = None,
    max_open_tickets_per_reviewer: int | None = None,
) -> dict[str, Any]:
    """Change the feedback settings; keys not given keep their value."""
    policy = _clean_policy(review_policy or {})
    sla = _clean_sla(escalation_sla_hours or {})
    if max_open_tickets_per_reviewer is not None and max_open_tickets_per_reviewer < 1:
        raise ValidationFailed(
            "max_open_tickets_per_reviewer must be at least 1",
            field="max_open_tickets_per_reviewer",
        )
    with db.uow() as uow:
        project = load_project(uow, project_id)
        before = settings_dict(project)
        settings = dict(project.settings or {})  # a new dict, so the JSON column sees a change
        if policy:
            settings["review_policy"] = {**settings.get("review_policy", {}), **policy}
        if sla:
            settings["escalation_sla_hours"] = {**settings.get("escalation_sla_hours", {}), **sla}
        if max_open_tickets_per_reviewer is not None:
            settings["max_open_tickets_per_reviewer"] = max_open_tickets_per_reviewer
        project.settings = settings
        after = settings_dict(project)
        audit(
            uow,
            actor_id=actor.user_id,
            action="feedback.settings",
            entity_type="project",
            entity_id=project.id,
            project_id=project.id,
            before=before,
            after=after,
        )
        uow.commit()
        return after


def get_settings(db: Database, project_id: int | str) -> dict[str, Any]:
    with db.uow(read_only=True) as uow:
        return settings_dict(load_project(uow, project_id))


def aware(value: datetime | None) -> datetime | None:
    """Query bounds without a time zone are read as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def load_item(uow: UnitOfWork, project_id: int, item_id: int) -> Item:
    item = uow.session.get(Item, item_id)
    if item is None or item.project_id != project_id:
        raise NotFound(
            f"no item {item_id} in project {project_id}", code="item_not_found", field="item_id"
        )
    return item


def member_of(uow: UnitOfWork, project_id: int, user_id: int) -> Member | None:
    return uow.session.scalar(
        select(Member).where(Member.project_id == project_id, Member.user_id == user_id)
    )


def is_staff(member: Member | None, actor: Actor) -> bool:
    """Staff (and administrators) see every item; annotators only the items they worked on."""
    return actor.is_admin or (member is not None and bool(STAFF_ROLES & set(member.roles)))


def held(uow: UnitOfWork, item_id: int, user_id: int) -> bool:
    """Whether the user holds or held an assignment on the item (any state)."""
    return bool(
        uow.session.scalar(
            select(
                exists().where(Assignment.item_id == item_id, Assignment.annotator_id == user_id)
            )
        )
    )


def visible_item(uow: UnitOfWork, project_id: int, item_id: int, actor: Actor) -> Item:
    """The item, if the caller may see it; otherwise 404 (invisible rather than forbidden)."""
    item = load_item(uow, project_id, item_id)
    if not is_staff(member_of(uow, project_id, actor.user_id), actor) and not held(
        uow, item_id, actor.user_id
    ):
        raise NotFound(
            f"no item {item_id} in project {project_id}", code="item_not_found", field="item_id"
        )
    return item
