"""Items as staff see them, and gold answers (never shown to annotators)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Annotation, GoldAnswer, Item, User
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.teamops import privacy
from labelcrew.services.uow import Database, UnitOfWork

ITEM_STATES = ("open", "done")
GOLD_KINDS = ("gold", "honeypot")


def item_dict(i: Item) -> dict[str, Any]:
    return {
        "id": i.id,
        "external_id": i.external_id,
        "payload": i.payload,
        "priority": i.priority,
        "required_skills": list(i.required_skills),
        "batch_id": i.batch_id,
        "difficulty": i.difficulty,
        "is_gold": i.is_gold,
        "overlap_target": i.overlap_target,
        "annotation_count": i.annotation_count,
        "state": i.state,
    }


def _load(uow: UnitOfWork, project_id: int, item_id: int) -> Item:
    item = uow.session.get(Item, item_id)
    if item is None or item.project_id != project_id:
        raise NotFound(f"no item {item_id}", code="item_not_found", field="item_id")
    return item


def get_item(
    db: Database,
    ref: int | str,
    item_id: int,
    *,
    with_gold: bool,
    viewer: privacy.Viewer = privacy.EVERYONE,
) -> dict[str, Any]:
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        item = _load(uow, project.id, item_id)
        result = item_dict(item)
        result["payload"] = privacy.present(project, result["payload"], viewer)
        rows = uow.session.execute(
            select(Annotation, User.username)
            .join(User, User.id == Annotation.annotator_id)
            .where(Annotation.item_id == item.id)
            .order_by(Annotation.id)
        )
        result["annotations"] = [
            {
                "id": a.id,
                "annotator": name,
                "value": a.value,
                "schema_version": a.schema_version,
                "guideline_version": a.guideline_version,
                "duration_ms": a.duration_ms,
                "superseded": a.superseded_at is not None,
                "created_at": a.created_at.isoformat(),
            }
            for a, name in rows
        ]
        if with_gold and item.is_gold:
            gold = uow.session.get(GoldAnswer, item.id)
            result["gold"] = (
                None
                if gold is None
                else {"value": gold.value, "rule": gold.rule_number, "kind": gold.kind}
            )
        return result


def set_gold(
    db: Database,
    actor: Actor,
    ref: int | str,
    item_id: int,
    *,
    value: dict[str, Any],
    rule: str | None,
    kind: str = "gold",
) -> dict[str, Any]:
    """Mark an item as gold with its known answer and the rule that decides it; `kind`
    "honeypot" for an item with an obvious answer (it tests attention, not understanding)."""
    if kind not in GOLD_KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(GOLD_KINDS)}", field="kind")
    with db.uow() as uow:
        project = load_project(uow, ref)
        item = _load(uow, project.id, item_id)
        if project.schema_version is None:
            raise ValidationFailed("define the label schema before gold answers", field="value")
        clean = schema_for(uow, project.id, project.schema_version).validate(value, item.payload)
        gold = uow.session.get(GoldAnswer, item.id)
        before = (
            None
            if gold is None
            else {"value": gold.value, "rule": gold.rule_number, "kind": gold.kind}
        )
        if gold is None:
            gold = GoldAnswer(
                item_id=item.id,
                value=clean,
                rule_number=rule,
                kind=kind,
                created_by=actor.user_id,
                created_at=uow.now,
            )
            uow.session.add(gold)
        gold.value, gold.rule_number, gold.kind = clean, rule, kind
        item.is_gold = True
        audit(
            uow,
            actor_id=actor.user_id,
            action="gold.set",
            entity_type="item",
            entity_id=item.id,
            project_id=project.id,
            before=before,
            after={"value": clean, "rule": rule, "kind": kind},
        )
        uow.commit()
        return {"item_id": item.id, "value": clean, "rule": rule, "kind": kind}
