"""The item browser: one page of a project's items under the filters a lead narrows by.

Filters combine (all must hold):
- `state`: open or done;
- `batch_id`: items of one batch (0: items in no batch);
- `gold`: gold items only (True) or non-gold only (False);
- `disagreement`: non-gold items whose live (not superseded) labels hold more than one value
  of the schema's primary field (the first single-choice field), the definition the dashboard's
  disagreement rate counts, so a click on its chart opens the same items;
- `annotator` and `guideline_version`: items with a live (not superseded) label by that member
  and/or made under that guideline version (one label meeting both when both are given).

Each filter is an indexed predicate or one grouped subquery, so a page stays one query and a
count, however many items the project holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import distinct, exists, func, select

from labelcrew.db.models.core import Annotation, Item, User
from labelcrew.errors import Conflict, NotFound, ValidationFailed
from labelcrew.services.projects.items import ITEM_STATES, item_dict
from labelcrew.services.projects.projects import load_project
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.teamops import privacy
from labelcrew.services.uow import Database, UnitOfWork

MAX_LIMIT = 1000


@dataclass(frozen=True)
class ItemFilters:
    state: str | None = None
    batch_id: int | None = None
    gold: bool | None = None
    disagreement: bool = False
    annotator: str | None = None
    guideline_version: int | None = None

    def check(self) -> None:
        if self.state is not None and self.state not in ITEM_STATES:
            raise ValidationFailed(
                f"state must be one of {', '.join(ITEM_STATES)}, got {self.state!r}",
                field="state",
            )
        if self.batch_id is not None and self.batch_id < 0:
            raise ValidationFailed("batch_id must be 0 (no batch) or a batch id", field="batch_id")
        if self.guideline_version is not None and self.guideline_version < 1:
            raise ValidationFailed("guideline_version starts at 1", field="guideline_version")


def _annotator_id(uow: UnitOfWork, username: str) -> int:
    found = uow.session.scalar(select(User.id).where(User.username == username))
    if found is None:
        raise NotFound(f"no user {username!r}", code="user_not_found", field="annotator")
    return int(found)


def _disagreeing_items(uow: UnitOfWork, project: Any) -> Any:
    field = None
    if project.schema_version is not None:
        primary = schema_for(uow, project.id, project.schema_version).primary_field
        field = None if primary is None else primary.name
    if field is None:
        raise Conflict(
            "disagreement is measured on a single-choice field; this schema has none",
            code="no_primary_field",
            field="disagreement",
        )
    value = Annotation.value[field].as_string()
    return (
        select(Annotation.item_id)
        .where(Annotation.project_id == project.id, Annotation.superseded_at.is_(None))
        .group_by(Annotation.item_id)
        .having(func.count() >= 2, func.count(distinct(value)) > 1)
    )


def _conditions(uow: UnitOfWork, project: Any, f: ItemFilters) -> list[Any]:
    where: list[Any] = [Item.project_id == project.id]
    if f.state is not None:
        where.append(Item.state == f.state)
    if f.batch_id is not None:
        where.append(Item.batch_id.is_(None) if f.batch_id == 0 else Item.batch_id == f.batch_id)
    if f.gold is not None:
        where.append(Item.is_gold.is_(f.gold))
    if f.disagreement:
        where += [Item.is_gold.is_(False), Item.id.in_(_disagreeing_items(uow, project))]
    if f.annotator is not None or f.guideline_version is not None:
        # Live labels only: the probe then runs on the partial index uq_annotations_live
        # (item_id, annotator_id WHERE superseded_at IS NULL); without that predicate every item
        # scanned the annotations (minutes at 100k items).
        label = [Annotation.item_id == Item.id, Annotation.superseded_at.is_(None)]
        if f.annotator is not None:
            label.append(Annotation.annotator_id == _annotator_id(uow, f.annotator))
        if f.guideline_version is not None:
            label.append(Annotation.guideline_version == f.guideline_version)
        where.append(exists(select(Annotation.id).where(*label)))
    return where


def browse_items(
    db: Database,
    ref: int | str,
    filters: ItemFilters,
    *,
    limit: int = 50,
    offset: int = 0,
    viewer: privacy.Viewer = privacy.EVERYONE,
) -> dict[str, Any]:
    """{"total", "items"}: the items that pass every filter, by id, `limit` from `offset`.
    `viewer` masks sensitive payload fields (by default as for a member without roles)."""
    filters.check()
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must lie between 1 and {MAX_LIMIT}", field="limit")
    if offset < 0:
        raise ValidationFailed("offset must be 0 or more", field="offset")
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        where = _conditions(uow, project, filters)
        total = uow.session.scalar(select(func.count()).select_from(Item).where(*where))
        rows = uow.session.scalars(
            select(Item).where(*where).order_by(Item.id).limit(limit).offset(offset)
        )
        out = [item_dict(i) for i in rows]
        for entry in out:
            entry["payload"] = privacy.present(project, entry["payload"], viewer)
        return {"total": int(total or 0), "items": out}
