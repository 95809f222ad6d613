"""Guideline revision -> relabel: publish a version, link what it answers, and send the labels
it touches back to the queue, all in ONE unit of work.

Touched items are chosen by rule reference (items whose reviews cite the rule, and items of
escalations about the rule), by label (items whose live annotations have that primary-field
value), by an explicit item list, or by the items behind the linked escalations' rulings. Their
live annotations are kept but marked superseded (never deleted), their counters reset and their
assignment rows released into the 'relabel' queue, so the same annotators may label them again
(under the new version, which they must acknowledge first: `assignment.gate`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select, update

from labelcrew.db.models.core import Annotation, Assignment, Item
from labelcrew.db.models.guidelines import GuidelineLink, Relabel, RelabelItem
from labelcrew.errors import ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.quality.measures import primary_field_of
from labelcrew.services.review import lookups as review_lookups
from labelcrew.services.uow import Database, UnitOfWork

CHUNK = 500
SHOWN_ITEM_IDS = 1000


def _ints(values: Any, field: str) -> list[int]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise ValidationFailed(f"{field} must be a list of ids", field=field)
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValidationFailed(f"{field}[{i}] must be a positive id, not {v!r}", field=field)
        out.append(v)
    return sorted(set(out))


def _strings(values: Any, field: str) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationFailed(f"{field} must be a list of strings", field=field)
    return sorted({v.strip() for v in values if v.strip()})


def clean_spec(links: dict[str, Any] | None, relabel: dict[str, Any] | None) -> dict[str, Any]:
    links, relabel = links or {}, relabel or {}
    for name, given, allowed in (
        ("links", links, {"escalations", "items"}),
        ("relabel", relabel, {"rules", "labels", "items", "from_rulings"}),
    ):
        unknown = sorted(set(given) - allowed)
        if unknown:
            raise ValidationFailed(
                f"{name} has unknown key {unknown[0]!r}; expected {sorted(allowed)}",
                field=f"{name}.{unknown[0]}",
            )
    rules = _strings(relabel.get("rules"), "relabel.rules")
    for number in rules:
        if not guidelines.RULE_NUMBER.match(number):
            raise ValidationFailed(
                f"rule number {number!r} must look like '4' or '4.2'", field="relabel.rules"
            )
    return {
        "links": {
            "escalations": _ints(links.get("escalations"), "links.escalations"),
            "items": _ints(links.get("items"), "links.items"),
        },
        "relabel": {
            "rules": rules,
            "labels": _strings(relabel.get("labels"), "relabel.labels"),
            "items": _ints(relabel.get("items"), "relabel.items"),
            "from_rulings": bool(relabel.get("from_rulings", False)),
        },
    }


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def _check_items(uow: UnitOfWork, project_id: int, ids: list[int], field: str) -> None:
    found: set[int] = set()
    for chunk in _chunks(ids):
        found.update(
            uow.session.scalars(
                select(Item.id).where(Item.project_id == project_id, Item.id.in_(chunk))
            )
        )
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(
            f"{field}: no item {missing[0]} in this project", field=field, code="unknown_item"
        )


def _touched(
    uow: UnitOfWork, project_id: int, spec: dict[str, Any], rulings: dict[int, int | None]
) -> dict[int, list[str]]:
    """Item id -> why it is touched ('rule:4.2', 'label:negative', 'item', 'ruling:17')."""
    reasons: dict[int, list[str]] = {}

    def add(item_id: int, why: str) -> None:
        reasons.setdefault(item_id, []).append(why)

    relabel = spec["relabel"]
    if relabel["rules"]:
        rules = set(relabel["rules"])
        for item_id in sorted(
            review_lookups.review_items_for_rules(uow, project_id, rules)
            | review_lookups.escalation_items_for_rules(uow, project_id, rules)
        ):
            add(item_id, "rules:" + ",".join(relabel["rules"]))
    if relabel["labels"]:
        project = load_project(uow, project_id)
        field, categories = primary_field_of(uow, project)
        for label in relabel["labels"]:
            if label not in categories:
                raise ValidationFailed(
                    f"relabel.labels: {label!r} is not a value of {field!r} ({categories})",
                    field="relabel.labels",
                    code="unknown_label",
                )
        rows = uow.session.execute(
            select(Annotation.item_id, Annotation.value).where(
                Annotation.project_id == project_id, Annotation.superseded_at.is_(None)
            )
        )
        for item_id, value in rows:
            if value.get(field) in relabel["labels"]:
                add(item_id, f"label:{value[field]}")
    for item_id in relabel["items"]:
        add(item_id, "item")
    if relabel["from_rulings"]:
        for escalation_id, ruled_item in rulings.items():
            if ruled_item is not None:
                add(ruled_item, f"ruling:{escalation_id}")
    return {k: sorted(set(v)) for k, v in reasons.items()}


def _requeue(uow: UnitOfWork, ids: list[int]) -> int:
    """Supersede live annotations, reset counters, release assignments into 'relabel'."""
    superseded = 0
    for chunk in _chunks(ids):
        if not uow.db.is_sqlite:  # same lock order as submit: the item rows first
            uow.session.execute(
                select(Item.id).where(Item.id.in_(chunk)).order_by(Item.id).with_for_update()
            )
        done = uow.session.execute(
            update(Annotation)
            .where(Annotation.item_id.in_(chunk), Annotation.superseded_at.is_(None))
            .values(superseded_at=uow.now)
            .execution_options(synchronize_session=False)
        )
        superseded += cast(CursorResult[Any], done).rowcount
        uow.session.execute(
            update(Item)
            .where(Item.id.in_(chunk))
            .values(annotation_count=0, state="open")
            .execution_options(synchronize_session=False)
        )
        uow.session.execute(
            update(Assignment)
            .where(Assignment.item_id.in_(chunk), Assignment.state.in_(("submitted", "leased")))
            .values(state="released", queue="relabel", finished_at=uow.now)
            .execution_options(synchronize_session=False)
        )
    return superseded


def publish_revision(
    db: Database,
    actor: Actor,
    project_id: int | str,
    version: int,
    changelog: str,
    *,
    links: dict[str, Any] | None = None,
    relabel: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Publish guideline `version` with its changelog, store the links to the escalations and
    items behind it, and queue the touched items for relabel, in one transaction.

    `links = {"escalations": [ids], "items": [ids]}`; `relabel = {"rules": ["4.2"], "labels":
    ["negative"], "items": [ids], "from_rulings": bool}` (all optional). Gold items are never
    requeued (their answer key is edited separately); they are counted in `skipped_gold`.
    """
    spec = clean_spec(links, relabel)
    warnings: list[str] = []
    with db.uow() as uow:
        project = load_project(uow, project_id)
        pid = project.id
        _check_items(uow, pid, spec["links"]["items"], "links.items")
        _check_items(uow, pid, spec["relabel"]["items"], "relabel.items")
        escalation_ids = spec["links"]["escalations"]
        rulings = review_lookups.escalation_items(uow, pid, escalation_ids)
        missing = [e for e in escalation_ids if e not in rulings]
        if missing:
            raise ValidationFailed(
                f"links.escalations: no escalation {missing[0]} in this project",
                field="links.escalations",
                code="unknown_escalation",
            )
        if spec["relabel"]["from_rulings"] and not rulings:
            warnings.append("from_rulings found no items: link the escalations with rulings")
        published = guidelines.publish_in(uow, actor, project, version=version, changelog=changelog)
        for kind, ids in (("escalation", escalation_ids), ("item", spec["links"]["items"])):
            for ref_id in ids:
                uow.session.add(
                    GuidelineLink(
                        project_id=pid,
                        guideline_version=version,
                        kind=kind,
                        ref_id=ref_id,
                        created_at=uow.now,
                    )
                )
        reasons = _touched(uow, pid, spec, rulings)
        gold: set[int] = set()
        for chunk in _chunks(sorted(reasons)):
            gold.update(
                uow.session.scalars(select(Item.id).where(Item.id.in_(chunk), Item.is_gold))
            )
        ids = sorted(i for i in reasons if i not in gold)
        superseded = _requeue(uow, ids)
        record = Relabel(
            project_id=pid,
            guideline_version=version,
            criteria=spec["relabel"],
            item_count=len(ids),
            superseded_count=superseded,
            created_by=actor.user_id,
            created_at=uow.now,
        )
        uow.session.add(record)
        uow.session.flush()
        if ids:
            uow.session.execute(
                insert(RelabelItem),
                [{"relabel_id": record.id, "item_id": i, "reasons": reasons[i]} for i in ids],
            )
        summary = {
            "id": record.id,
            "items": len(ids),
            "superseded": superseded,
            "skipped_gold": len(gold),
            "item_ids": ids[:SHOWN_ITEM_IDS],
        }
        audit(
            uow,
            actor_id=actor.user_id,
            action="guideline.relabel",
            entity_type="relabel",
            entity_id=record.id,
            project_id=pid,
            after={
                "version": version,
                "criteria": spec["relabel"],
                "links": spec["links"],
                "items": len(ids),
                "superseded": superseded,
            },
        )
        emit(
            uow,
            project_id=pid,
            event_type="guideline.relabel_queued",
            payload={
                "project_id": pid,
                "version": version,
                "relabel_id": record.id,
                "items": len(ids),
            },
        )
        uow.commit()
        return {**published, "links": spec["links"], "relabel": summary, "warnings": warnings}


def revision_links(db: Database, project_id: int | str, version: int) -> dict[str, Any]:
    """What a version links to and what it sent back for relabel."""
    with db.uow(read_only=True) as uow:
        project = load_project(uow, project_id)
        links = uow.session.scalars(
            select(GuidelineLink)
            .where(
                GuidelineLink.project_id == project.id, GuidelineLink.guideline_version == version
            )
            .order_by(GuidelineLink.kind, GuidelineLink.ref_id)
        ).all()
        relabels = uow.session.scalars(
            select(Relabel)
            .where(Relabel.project_id == project.id, Relabel.guideline_version == version)
            .order_by(Relabel.id)
        ).all()
        return {
            "version": version,
            "links": {
                "escalations": [link.ref_id for link in links if link.kind == "escalation"],
                "items": [link.ref_id for link in links if link.kind == "item"],
            },
            "relabels": [
                {
                    "id": r.id,
                    "criteria": r.criteria,
                    "items": r.item_count,
                    "superseded": r.superseded_count,
                    "created_at": r.created_at.isoformat(),
                }
                for r in relabels
            ],
        }
