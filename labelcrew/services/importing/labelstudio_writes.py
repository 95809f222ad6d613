"""What one checked Label Studio task writes: its item (unless the project has the id), its
labels by annotator (known by their Label Studio id: a re-import adds none twice), the gold
answer of a ground-truth label, and its predictions; and the report that counts them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Annotation, GoldAnswer, Item, Project
from labelcrew.db.models.predictions import Prediction
from labelcrew.domain.importing.labelstudio_tasks import LsTask
from labelcrew.services.importing import labelstudio_members as members
from labelcrew.services.uow import UnitOfWork

KEY_PREFIX = "labelstudio:"


@dataclass
class LabelStudioReport:
    project: str
    format: str
    dry_run: bool
    project_created: bool = False
    schema_version: int | None = None
    schema_changed: bool = False
    fields: list[dict[str, Any]] = field(default_factory=list)
    unmapped: list[dict[str, str]] = field(default_factory=list)
    tasks: int = 0
    items_created: int = 0
    items_unchanged: int = 0
    annotations_created: int = 0
    annotations_unchanged: int = 0
    cancelled_skipped: int = 0
    gold_set: int = 0
    predictions_created: int = 0
    predictions_by_id_only: int = 0
    members_created: list[str] = field(default_factory=list)
    members_mapped: list[str] = field(default_factory=list)
    regions_not_mapped: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Converted:
    """One task, checked: its payload, labels (annotation, value) and predictions."""

    task: LsTask
    payload: dict[str, Any]
    labels: list[tuple[Any, dict[str, Any]]]
    predictions: list[tuple[Any, dict[str, Any]]]


def _key(project_id: int, task: LsTask, annotation: Any, n: int) -> str:
    """The label's idempotency key: unique per annotator across projects, so the project is
    part of it (the same Label Studio export may go into two projects)."""
    own = annotation.id if annotation.id is not None else f"task-{task.external_id}-{n}"
    return f"{KEY_PREFIX}{project_id}:{own}"


def write_task(
    uow: UnitOfWork,
    project: Project,
    converted: Converted,
    counts: members.MemberCounts,
    report: LabelStudioReport,
) -> None:
    task = converted.task
    item = uow.session.scalar(
        select(Item).where(Item.project_id == project.id, Item.external_id == task.external_id)
    )
    if item is None:
        item = Item(
            project_id=project.id,
            external_id=task.external_id,
            payload=converted.payload,
            priority=0,
            required_skills=[],
            overlap_target=project.overlap,
            annotation_count=0,
            state="open",
            created_at=uow.now,
        )
        uow.session.add(item)
        uow.session.flush()
        report.items_created += 1
    else:
        report.items_unchanged += 1
    known = set(
        uow.session.scalars(
            select(Annotation.idempotency_key).where(
                Annotation.item_id == item.id, Annotation.idempotency_key.like(f"{KEY_PREFIX}%")
            )
        )
    )
    for n, (annotation, value) in enumerate(converted.labels):
        user_id = members.user_for(uow, annotation.annotator, annotation.display_name, counts)
        members.ensure_member(uow, project.id, user_id, counts)
        key = _key(project.id, task, annotation, n)
        if key in known:
            report.annotations_unchanged += 1
            continue
        known.add(key)
        uow.session.add(
            Annotation(
                project_id=project.id,
                item_id=item.id,
                annotator_id=user_id,
                value=value,
                schema_version=project.schema_version,
                guideline_version=project.guideline_version,
                queue="annotation",
                duration_ms=None
                if annotation.lead_time is None
                else round(annotation.lead_time * 1000),
                idempotency_key=key,
                created_at=uow.now,
            )
        )
        item.annotation_count += 1
        report.annotations_created += 1
        if annotation.ground_truth and uow.session.get(GoldAnswer, item.id) is None:
            uow.session.add(
                GoldAnswer(
                    item_id=item.id,
                    value=value,
                    kind="gold",
                    created_by=user_id,
                    created_at=uow.now,
                )
            )
            uow.session.flush()
            item.is_gold = True
            report.gold_set += 1
    for prediction, value in converted.predictions:
        source_id = prediction.id or f"task-{task.external_id}-{prediction.model_version}"
        exists = uow.session.scalar(
            select(Prediction.id).where(
                Prediction.item_id == item.id,
                Prediction.source == "labelstudio",
                Prediction.source_id == source_id,
            )
        )
        if exists is not None:
            continue
        uow.session.add(
            Prediction(
                project_id=project.id,
                item_id=item.id,
                model_version=prediction.model_version,
                score=prediction.score,
                value=value,
                result=prediction.regions,
                source="labelstudio",
                source_id=source_id,
                created_at=uow.now,
            )
        )
        report.predictions_created += 1
