"""Basic export: items with their annotations, streamed. Every export is audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

import orjson
from sqlalchemy import select

from labelcrew.db.models.core import Annotation, Item, User
from labelcrew.errors import ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.teamops import privacy
from labelcrew.services.uow import Database

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = (
    "item_id",
    "external_id",
    "annotator",
    "value",
    "schema_version",
    "guideline_version",
    "duration_ms",
    "superseded",
    "created_at",
)
CHUNK = 1000


def export_rows(db: Database, actor: Actor, ref: int | str, fmt: str) -> Iterator[bytes]:
    """Yield the export in chunks; the audit record is written before the first byte."""
    if fmt not in FORMATS:
        raise ValidationFailed(f"format must be one of {FORMATS}", field="format")
    with db.uow() as uow:
        project = load_project(uow, ref)
        audit(
            uow,
            actor_id=actor.user_id,
            action="export",
            entity_type="project",
            entity_id=project.id,
            project_id=project.id,
            after={"format": fmt},
        )
        # Sensitive payload fields leave only as the exporter's roles may see them.
        roles = privacy.roles_of(uow, project.id, actor)
        view = partial(privacy.view, project, roles=roles, is_admin=actor.is_admin)
        uow.commit()
        project_id = project.id
    return _stream(db, project_id, fmt, view)


def _stream(
    db: Database, project_id: int, fmt: str, view: Callable[[dict[str, Any]], dict[str, Any]]
) -> Iterator[bytes]:
    if fmt == "csv":
        yield (",".join(CSV_COLUMNS) + "\r\n").encode()
    last = 0
    while True:
        with db.uow(read_only=True) as uow:
            items = uow.session.scalars(
                select(Item)
                .where(Item.project_id == project_id, Item.id > last, Item.is_gold.is_(False))
                .order_by(Item.id)
                .limit(CHUNK)
            ).all()
            if not items:
                return
            last = items[-1].id
            rows = uow.session.execute(
                select(Annotation, User.username)
                .join(User, User.id == Annotation.annotator_id)
                .where(Annotation.item_id.in_([i.id for i in items]))
                .order_by(Annotation.id)
            ).all()
        by_item: dict[int, list[dict[str, Any]]] = {}
        for a, name in rows:
            by_item.setdefault(a.item_id, []).append(
                {
                    "annotator": name,
                    "value": a.value,
                    "schema_version": a.schema_version,
                    "guideline_version": a.guideline_version,
                    "duration_ms": a.duration_ms,
                    "superseded": a.superseded_at is not None,
                    "created_at": a.created_at.isoformat(),
                }
            )
        yield _jsonl(items, by_item, view) if fmt == "jsonl" else _csv(items, by_item)


def _jsonl(
    items: Sequence[Item],
    by_item: dict[int, list[dict[str, Any]]],
    view: Callable[[dict[str, Any]], dict[str, Any]],
) -> bytes:
    return b"".join(
        orjson.dumps(
            {
                "item_id": i.id,
                "external_id": i.external_id,
                "payload": view(i.payload),
                "batch_id": i.batch_id,
                "state": i.state,
                "annotations": by_item.get(i.id, []),
            }
        )
        + b"\n"
        for i in items
    )


def _csv(items: Sequence[Item], by_item: dict[int, list[dict[str, Any]]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for i in items:
        for a in by_item.get(i.id, []):
            writer.writerow(
                [
                    i.id,
                    i.external_id,
                    a["annotator"],
                    orjson.dumps(a["value"]).decode(),
                    a["schema_version"],
                    a["guideline_version"],
                    a["duration_ms"],
                    a["superseded"],
                    a["created_at"],
                ]
            )
    return out.getvalue().encode()
