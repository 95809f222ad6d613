"""Projects, their members and roles, and their versioned label schemas."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import exists, func, select

from labelcrew.db.models.core import Annotation, LabelSchemaVersion, Member, Project, User
from labelcrew.domain.permissions import Action, allowed, parse_roles
from labelcrew.domain.schema.hotkeys import check_hotkeys
from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.errors import Conflict, NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit
from labelcrew.services.uow import Database, UnitOfWork

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
MEMBER_STATUSES = ("onboarding", "probation", "active", "paused")
SETTABLE = {
    "name": str,
    "description": str,
    "overlap": int,
    "max_overlap": int,
    "overlap_policy": str,
    "target_confidence": float,
    "lease_seconds": int,
    "wip_limit": int,
    "gold_rate": float,
    "probation_gold_rate": float,
    "honeypot_rate": float,
}


def project_dict(p: Project) -> dict[str, Any]:
    return {
        "id": p.id,
        "slug": p.slug,
        "name": p.name,
        "description": p.description,
        "overlap": p.overlap,
        "max_overlap": p.max_overlap,
        "overlap_policy": p.overlap_policy,
        "target_confidence": p.target_confidence,
        "lease_seconds": p.lease_seconds,
        "wip_limit": p.wip_limit,
        "gold_rate": p.gold_rate,
        "probation_gold_rate": p.probation_gold_rate,
        "honeypot_rate": p.honeypot_rate,
        "schema_version": p.schema_version,
        "guideline_version": p.guideline_version,
        "created_at": p.created_at.isoformat(),
    }


def load_project(uow: UnitOfWork, ref: int | str) -> Project:
    """Find a project by id or slug (the CLI passes slugs, the API ids)."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        project = uow.session.get(Project, int(ref))
    else:
        project = uow.session.scalar(select(Project).where(Project.slug == ref))
    if project is None:
        raise NotFound(f"no project {ref!r}", code="project_not_found", field="project")
    return project


def _check_settings(values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in SETTABLE:
            raise ValidationFailed(f"unknown project setting {key!r}", field=key)
        try:
            clean[key] = SETTABLE[key](value)
        except (TypeError, ValueError):
            raise ValidationFailed(f"{key} must be {SETTABLE[key].__name__}", field=key) from None
    if clean.get("overlap", 1) < 1 or clean.get("max_overlap", 1) < 1:
        raise ValidationFailed("overlap must be at least 1", field="overlap")
    if clean.get("overlap_policy", "fixed") not in ("fixed", "dynamic"):
        raise ValidationFailed(
            "overlap_policy must be 'fixed' or 'dynamic'", field="overlap_policy"
        )
    for key in ("gold_rate", "probation_gold_rate", "honeypot_rate", "target_confidence"):
        if key in clean and not 0.0 <= clean[key] <= 1.0:
            raise ValidationFailed(f"{key} must lie between 0 and 1", field=key)
    for key in ("lease_seconds", "wip_limit"):
        if key in clean and clean[key] < 1:
            raise ValidationFailed(f"{key} must be at least 1", field=key)
    return clean


def create_project(
    db: Database,
    actor: Actor,
    *,
    slug: str,
    name: str,
    schema: dict[str, Any] | None = None,
    **settings: Any,
) -> dict[str, Any]:
    if not SLUG.match(slug):
        raise ValidationFailed(
            f"slug {slug!r} must be 2-80 lowercase letters, digits or '-'", field="slug"
        )
    clean = _check_settings(settings)
    parsed = LabelSchema.parse(schema) if schema is not None else None
    if parsed is not None:
        check_hotkeys(parsed)
    with db.uow() as uow:
        if uow.session.scalar(select(Project.id).where(Project.slug == slug)) is not None:
            raise Conflict(f"project {slug!r} already exists", code="project_exists", field="slug")
        project = Project(slug=slug, name=name, created_at=uow.now, settings={}, **clean)
        uow.session.add(project)
        uow.session.flush()
        if parsed is not None:
            _add_schema_version(uow, project, parsed, actor)
        audit(
            uow,
            actor_id=actor.user_id,
            action="project.create",
            entity_type="project",
            entity_id=project.id,
            project_id=project.id,
            after=project_dict(project),
        )
        uow.commit()
        return project_dict(project)


def update_project(
    db: Database, actor: Actor, ref: int | str, values: dict[str, Any]
) -> dict[str, Any]:
    clean = _check_settings(values)
    with db.uow() as uow:
        project = load_project(uow, ref)
        before = project_dict(project)
        for key, value in clean.items():
            setattr(project, key, value)
        audit(
            uow,
            actor_id=actor.user_id,
            action="project.update",
            entity_type="project",
            entity_id=project.id,
            project_id=project.id,
            before=before,
            after=project_dict(project),
        )
        uow.commit()
        return project_dict(project)


def _without_gold_rates(project: dict[str, Any]) -> dict[str, Any]:
    """How often gold is served is for staff: an annotator who knows the rate can count their
    way towards which items were gold (issue 17). Their view leaves the rates out (null)."""
    return {**project, "gold_rate": None, "probation_gold_rate": None, "honeypot_rate": None}


def get_project(db: Database, ref: int | str, *, gold_rates: bool = True) -> dict[str, Any]:
    with db.uow(read_only=True) as uow:
        found = project_dict(load_project(uow, ref))
    return found if gold_rates else _without_gold_rates(found)


def list_projects(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """The caller's projects (every project for an administrator); gold rates only where the
    caller may read quality figures."""
    with db.uow(read_only=True) as uow:
        if actor.is_admin:
            return [
                project_dict(p) for p in uow.session.scalars(select(Project).order_by(Project.id))
            ]
        rows = uow.session.execute(
            select(Project, Member.roles)
            .join(Member, Member.project_id == Project.id)
            .where(Member.user_id == actor.user_id)
            .order_by(Project.id)
        ).all()
        return [
            project_dict(p)
            if allowed(Action.QUALITY_READ, frozenset(roles))
            else _without_gold_rates(project_dict(p))
            for p, roles in rows
        ]


def member_roles(db: Database, project_id: int, user_id: int) -> frozenset[str] | None:
    """The caller's roles in a project, or None when they are not a member (or no such project)."""
    with db.uow(read_only=True) as uow:
        roles = uow.session.scalar(
            select(Member.roles).where(Member.project_id == project_id, Member.user_id == user_id)
        )
    return None if roles is None else frozenset(roles)


def require_project(db: Database, project_id: int) -> None:
    """NotFound unless the project exists: for callers no membership row vouches for."""
    with db.uow(read_only=True) as uow:
        load_project(uow, project_id)


def member_dict(m: Member, username: str) -> dict[str, Any]:
    return {
        "user_id": m.user_id,
        "username": username,
        "roles": list(m.roles),
        "status": m.status,
        "skills": dict(m.skills),
        "wip_limit": m.wip_limit,
        "gold_rate": m.gold_rate,
        "acknowledged_guideline_version": m.acknowledged_guideline_version,
    }


def set_member(
    db: Database,
    actor: Actor,
    ref: int | str,
    *,
    username: str,
    roles: list[str],
    status: str | None = None,
    skills: dict[str, Any] | None = None,
    wip_limit: int | None = None,
) -> dict[str, Any]:
    """Add a member to a project or change their roles, status, skills or WIP limit."""
    try:
        clean_roles = parse_roles(roles)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="roles") from None
    if not clean_roles:
        raise ValidationFailed("a member needs at least one role", field="roles")
    if status is not None and status not in MEMBER_STATUSES:
        raise ValidationFailed(f"status must be one of {MEMBER_STATUSES}", field="status")
    if wip_limit is not None and wip_limit < 1:
        raise ValidationFailed("wip_limit must be at least 1", field="wip_limit")
    with db.uow() as uow:
        project = load_project(uow, ref)
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"no user {username!r}", field="username")
        member = uow.session.scalar(
            select(Member).where(Member.project_id == project.id, Member.user_id == user.id)
        )
        before = None if member is None else member_dict(member, username)
        if member is None:
            member = Member(
                project_id=project.id,
                user_id=user.id,
                created_at=uow.now,
                status=status or "active",
                status_since=uow.now,
                skills=skills or {},
                roles=clean_roles,
            )
            uow.session.add(member)
        member.roles = clean_roles
        if status is not None and status != member.status:
            member.status, member.status_since = status, uow.now
        if skills is not None:
            member.skills = skills
        if wip_limit is not None:
            member.wip_limit = wip_limit
        uow.session.flush()
        after = member_dict(member, username)
        audit(
            uow,
            actor_id=actor.user_id,
            action="member.set",
            entity_type="member",
            entity_id=member.id,
            project_id=project.id,
            before=before,
            after=after,
        )
        uow.commit()
        return after


def list_members(db: Database, ref: int | str) -> list[dict[str, Any]]:
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        rows = uow.session.execute(
            select(Member, User.username)
            .join(User, User.id == Member.user_id)
            .where(Member.project_id == project.id)
            .order_by(User.username)
        )
        return [member_dict(m, name) for m, name in rows]


def _add_schema_version(
    uow: UnitOfWork, project: Project, schema: LabelSchema, actor: Actor
) -> int:
    version = (project.schema_version or 0) + 1
    uow.session.add(
        LabelSchemaVersion(
            project_id=project.id,
            version=version,
            definition=schema.to_dict(),
            created_by=actor.user_id,
            created_at=uow.now,
        )
    )
    project.schema_version = version
    return version


def set_schema(
    db: Database, actor: Actor, ref: int | str, definition: dict[str, Any]
) -> dict[str, Any]:
    """Replace the schema while no annotation uses it; once one does, the schema is locked and
    a change makes a new version (old annotations keep pointing at theirs)."""
    schema = LabelSchema.parse(definition)
    check_hotkeys(schema)
    with db.uow() as uow:
        project = load_project(uow, ref)
        current = None
        if project.schema_version is not None:
            current = uow.session.scalar(
                select(LabelSchemaVersion).where(
                    LabelSchemaVersion.project_id == project.id,
                    LabelSchemaVersion.version == project.schema_version,
                )
            )
        used = current is not None and uow.session.scalar(
            select(
                exists().where(
                    Annotation.project_id == project.id,
                    Annotation.schema_version == current.version,
                )
            )
        )
        before = None if current is None else {"version": current.version}
        if current is not None and not used:
            current.definition = schema.to_dict()
            version = current.version
        else:
            version = _add_schema_version(uow, project, schema, actor)
        audit(
            uow,
            actor_id=actor.user_id,
            action="schema.set",
            entity_type="label_schema",
            entity_id=version,
            project_id=project.id,
            before=before,
            after={"version": version, "definition": schema.to_dict()},
        )
        uow.commit()
        return {"version": version, "locked": False, "definition": schema.to_dict()}


def get_schema(db: Database, ref: int | str, version: int | None = None) -> dict[str, Any]:
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        wanted = version or project.schema_version
        row = (
            None
            if wanted is None
            else uow.session.scalar(
                select(LabelSchemaVersion).where(
                    LabelSchemaVersion.project_id == project.id,
                    LabelSchemaVersion.version == wanted,
                )
            )
        )
        if row is None:
            raise NotFound(
                f"project {project.slug!r} has no schema version {wanted}",
                code="schema_not_found",
                field="version",
            )
        locked = bool(
            uow.session.scalar(
                select(func.count())
                .select_from(Annotation)
                .where(
                    Annotation.project_id == project.id, Annotation.schema_version == row.version
                )
            )
        )
        return {
            "version": row.version,
            "locked": locked,
            "definition": row.definition,
            "current": row.version == project.schema_version,
        }
