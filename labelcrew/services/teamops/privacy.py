"""Privacy and access: sensitive payload fields masked or hidden per role wherever items are
shown, PII redaction on import with an audit of counts only, and the batch size limit that
import enforces (a WIP limit beyond annotation).

Every payload that leaves a service goes through `view` (directly, or through `present` /
`payloads_of` with a `Viewer`): the next item, review leases, item reads, exports, release
exports, calibration items, guideline examples drafted from calibration, and the weekly
report's examples. Artifacts that every member reads later (the guideline, the weekly report)
are masked for `EVERYONE`, the viewer without roles. `tests/security/test_masking.py` walks
every route an annotator may call and fails on any clear sensitive value."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from labelcrew.db.models.core import Item, Member, Project
from labelcrew.domain.teamops.redaction import Redactor, visible_payload
from labelcrew.errors import ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit
from labelcrew.services.uow import UnitOfWork
from labelcrew.services.work.rows import ProjectRow


def view(
    project: Project | ProjectRow,
    payload: dict[str, Any],
    roles: Collection[str],
    *,
    is_admin: bool = False,
) -> dict[str, Any]:
    """The payload as these roles may see it under the project's sensitive-field rules."""
    rules = (project.settings or {}).get("sensitive_fields") or []
    if not rules:
        return payload
    return visible_payload(payload, rules, roles, is_admin=is_admin)


@dataclass(frozen=True)
class Viewer:
    """Whom a payload is shown to: their project roles, and whether they are an admin."""

    roles: frozenset[str]
    is_admin: bool = False


# Stored artifacts every member reads (guideline examples, weekly reports): no role at all.
EVERYONE = Viewer(frozenset())


def present(
    project: Project | ProjectRow, payload: dict[str, Any], viewer: Viewer
) -> dict[str, Any]:
    return view(project, payload, viewer.roles, is_admin=viewer.is_admin)


def viewer_of(uow: UnitOfWork, project_id: int, actor: Actor) -> Viewer:
    return Viewer(roles_of(uow, project_id, actor), actor.is_admin)


def payloads_of(
    uow: UnitOfWork, project: Project, item_ids: Iterable[int], viewer: Viewer
) -> dict[int, dict[str, Any]]:
    """The payloads of these items of the project, as `viewer` may see them."""
    ids = list(item_ids)
    if not ids:
        return {}
    rows = uow.session.execute(
        select(Item.id, Item.payload).where(Item.project_id == project.id, Item.id.in_(ids))
    ).all()
    return {item_id: present(project, payload, viewer) for item_id, payload in rows}


def roles_of(uow: UnitOfWork, project_id: int, actor: Actor) -> frozenset[str]:
    roles = uow.session.scalar(
        select(Member.roles).where(Member.project_id == project_id, Member.user_id == actor.user_id)
    )
    return frozenset(roles or ())


def redactor_for(project: Project) -> Redactor | None:
    config = (project.settings or {}).get("redaction")
    if not config:
        return None
    redactor = Redactor(config)
    return redactor if redactor.active else None


def after_import(
    uow: UnitOfWork,
    actor: Actor,
    project: Project,
    redactor: Redactor | None,
    batch_ids: Iterable[int],
) -> dict[str, Any] | None:
    """Inside the import's unit of work: refuse batches over the size limit, and audit what
    redaction replaced (counts per field and kind, never the values)."""
    limit = (project.settings or {}).get("batch_size_limit")
    ids = list(batch_ids)
    if limit and ids:
        sizes = uow.session.execute(
            select(Item.batch_id, func.count())
            .where(Item.batch_id.in_(ids))
            .group_by(Item.batch_id)
            .having(func.count() > limit)
        ).all()
        if sizes:
            batch_id, size = sizes[0]
            raise ValidationFailed(
                f"batch {batch_id} would hold {size} items; the project's batch_size_limit is "
                f"{limit} (split the file into smaller batches)",
                code="batch_too_large",
                field="batch",
                details={"batches": {str(b): n for b, n in sizes}, "limit": limit},
            )
    if redactor is None or not redactor.counts:
        return None
    summary = redactor.summary()
    audit(
        uow,
        actor_id=actor.user_id,
        action="items.redact",
        entity_type="project",
        entity_id=project.id,
        project_id=project.id,
        after=summary,
    )
    return summary
