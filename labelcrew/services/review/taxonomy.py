"""The project's error taxonomy: the tags a review may carry (wrong class, boundary error...).

A project gets the default tags the first time anything reads its taxonomy; leads and QA then
rename, add or retire tags. Tags are never deleted, because old reviews cite them.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from labelcrew.db.models.feedback import ErrorTag
from labelcrew.errors import ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.uow import Database, UnitOfWork

DEFAULT_TAGS: tuple[tuple[str, str, str], ...] = (
    ("wrong_class", "Wrong class", "The chosen class is not the one the guideline asks for."),
    ("boundary_error", "Boundary error", "A span or box starts or ends in the wrong place."),
    ("missed_entity", "Missed entity", "Something that had to be labeled was left out."),
    ("guideline_not_followed", "Guideline not followed", "A rule of the guideline was ignored."),
    (
        "ambiguous_item",
        "Ambiguous item",
        "The item is unclear and the guideline does not settle it.",
    ),
)
CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def tag_dict(t: ErrorTag) -> dict[str, Any]:
    return {"code": t.code, "name": t.name, "description": t.description, "active": t.active}


def ensure_taxonomy(uow: UnitOfWork, project_id: int) -> list[ErrorTag]:
    """The project's tags, seeding the defaults on first use (safe against a concurrent seed)."""
    query = select(ErrorTag).where(ErrorTag.project_id == project_id).order_by(ErrorTag.id)
    tags = list(uow.session.scalars(query))
    if tags:
        return tags
    rows = [
        {
            "project_id": project_id,
            "code": code,
            "name": name,
            "description": description,
            "active": True,
            "created_at": uow.now,
            "updated_at": uow.now,
        }
        for code, name, description in DEFAULT_TAGS
    ]
    insert = sqlite_insert if uow.db.is_sqlite else pg_insert
    uow.session.execute(insert(ErrorTag).values(rows).on_conflict_do_nothing())
    return list(uow.session.scalars(query))


def tag_names(uow: UnitOfWork, project_id: int) -> dict[str, ErrorTag]:
    return {t.code: t for t in ensure_taxonomy(uow, project_id)}


def check_tags(uow: UnitOfWork, project_id: int, codes: list[str]) -> list[str]:
    """Validate review tags against the active taxonomy; returns them without duplicates."""
    known = tag_names(uow, project_id)
    clean: list[str] = []
    for i, code in enumerate(codes):
        tag = known.get(code)
        if tag is None or not tag.active:
            active = sorted(c for c, t in known.items() if t.active)
            raise ValidationFailed(
                f"error tag {code!r} is not in the project's taxonomy ({', '.join(active)})",
                code="unknown_error_tag",
                field=f"error_tags[{i}]",
            )
        if code not in clean:
            clean.append(code)
    return clean


def list_tags(
    db: Database, project_id: int | str, *, include_retired: bool = False
) -> list[dict[str, Any]]:
    with db.uow() as uow:  # writable: the first read seeds the defaults
        project = load_project(uow, project_id)
        tags = [tag_dict(t) for t in ensure_taxonomy(uow, project.id)]
        uow.commit()
    return [t for t in tags if include_retired or t["active"]]


def upsert_tag(
    db: Database,
    actor: Actor,
    project_id: int | str,
    *,
    code: str,
    name: str,
    description: str = "",
    active: bool = True,
) -> dict[str, Any]:
    """Add a tag, or rename, re-describe, retire (active=False) or restore an existing one."""
    if not CODE.match(code):
        raise ValidationFailed(
            f"tag code {code!r} must be 2-40 lowercase letters, digits or '_'", field="code"
        )
    if not name.strip() or len(name) > 200:
        raise ValidationFailed("tag name must have 1 to 200 characters", field="name")
    with db.uow() as uow:
        project = load_project(uow, project_id)
        tag = tag_names(uow, project.id).get(code)
        before = None if tag is None else tag_dict(tag)
        if tag is None:
            tag = ErrorTag(project_id=project.id, code=code, created_at=uow.now)
            uow.session.add(tag)
        tag.name, tag.description, tag.active = name.strip(), description, active
        tag.updated_at = uow.now
        uow.session.flush()
        after = tag_dict(tag)
        audit(
            uow,
            actor_id=actor.user_id,
            action="error_tag.set",
            entity_type="error_tag",
            entity_id=tag.id,
            project_id=project.id,
            before=before,
            after=after,
        )
        uow.commit()
        return after
