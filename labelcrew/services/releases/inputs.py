"""What a release is computed from, read in the caller's unit of work: the non-gold items,
every annotation, gold answers, reviewed corrections (when the review capability is
installed), and the manifest that describes the frozen rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from statistics import mean, median
from typing import Any

import orjson
from sqlalchemy import select

from labelcrew.db.models.core import Annotation, GoldAnswer, GuidelineVersion, Item, Project
from labelcrew.db.models.feedback import Review
from labelcrew.db.models.releases import Release
from labelcrew.domain.quality.agreement.fields import field_agreement
from labelcrew.domain.quality.agreement.summary import summarize
from labelcrew.domain.releases.rows import ReleaseInput, StoredLabel
from labelcrew.errors import Conflict
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.uow import UnitOfWork

MANIFEST_FORMAT = 1


def corrections(uow: UnitOfWork, project_id: int) -> dict[int, dict[str, Any]]:
    """Latest corrected value per item: reviews with ``verdict = 'correct'`` and a corrected
    value. A correction of an annotation that a relabel has since superseded no longer
    counts: the labels given under the newer guideline decide."""
    live = select(Annotation.id).where(Annotation.superseded_at.is_(None))
    query = (
        select(Review.item_id, Review.corrected_value)
        .join(Item, Item.id == Review.item_id)
        .where(
            Item.project_id == project_id,
            Review.verdict == "correct",
            Review.annotation_id.in_(live),
        )
        .order_by(Review.created_at, Review.id)
    )
    found: dict[int, dict[str, Any]] = {}
    for item_id, value in uow.session.execute(query):
        if isinstance(value, str | bytes):
            value = orjson.loads(value)
        if isinstance(value, dict):
            found[int(item_id)] = value
    return found


def gather(uow: UnitOfWork, project: Project) -> ReleaseInput:
    if project.schema_version is None:
        raise Conflict("this project has no label schema yet", code="no_schema")
    schema = schema_for(uow, project.id, project.schema_version)
    primary = schema.primary_field
    items = uow.session.execute(
        select(Item.id, Item.external_id, Item.payload)
        .where(Item.project_id == project.id, Item.is_gold.is_(False))
        .order_by(Item.id)
    ).all()
    labels = [
        StoredLabel(a_id, item_id, who, value, gv, sv, superseded is None)
        for a_id, item_id, who, value, gv, sv, superseded in uow.session.execute(
            select(
                Annotation.id,
                Annotation.item_id,
                Annotation.annotator_id,
                Annotation.value,
                Annotation.guideline_version,
                Annotation.schema_version,
                Annotation.superseded_at,
            )
            .where(Annotation.project_id == project.id)
            .order_by(Annotation.id)
        )
    ]
    gold = {
        int(item_id): dict(value)
        for item_id, value in uow.session.execute(
            select(GoldAnswer.item_id, GoldAnswer.value)
            .join(Item, Item.id == GoldAnswer.item_id)
            .where(Item.project_id == project.id)
        )
    }
    return ReleaseInput(
        items=[(i, e, p) for i, e, p in items],
        labels=labels,
        corrections=corrections(uow, project.id),
        gold=gold,
        schema=schema,
        field=primary.name if primary else None,
        categories=schema.categories(primary.name) if primary else [],
    )


def _agreement(data: ReleaseInput) -> dict[str, Any] | None:
    """The first single-choice field's agreement summary (as before per-field releases), and
    every field's own measure under ``fields`` (`domain.quality.agreement.fields`)."""
    live = [lab for lab in data.labels if lab.live and lab.item_id not in data.gold]
    if not live:
        return None
    summary: dict[str, Any] = {}
    primary = data.field
    voted = [x for x in live if primary is not None and x.value.get(primary) is not None]
    if primary is not None and voted:
        summary = summarize(
            [x.item_id for x in voted],
            [x.annotator_id for x in voted],
            [str(x.value[primary]) for x in voted],
        )
        summary["cohen_kappa"].pop("pairs", None)  # per-pair detail belongs to the quality pages
    summary["fields"] = {}
    for field in data.schema.fields:
        given = [x for x in live if x.value.get(field.name) is not None]
        if given:
            measured = field_agreement(
                field,
                [x.item_id for x in given],
                [x.annotator_id for x in given],
                [x.value[field.name] for x in given],
            )
            summary["fields"][field.name] = asdict(measured)
    return summary


def _changelog(uow: UnitOfWork, project: Project, since: int | None) -> list[dict[str, Any]]:
    rows = uow.session.scalars(
        select(GuidelineVersion)
        .where(
            GuidelineVersion.project_id == project.id,
            GuidelineVersion.status == "published",
            GuidelineVersion.version > (since or 0),
        )
        .order_by(GuidelineVersion.version)
    )
    return [
        {
            "version": v.version,
            "changelog": v.changelog,
            "published_at": v.published_at.isoformat() if v.published_at else None,
        }
        for v in rows
    ]


def _field_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per field, over the included rows: its method, mean and lowest confidence, and how many
    rows it excluded as the reason."""
    out: dict[str, Any] = {}
    included = [r for r in rows if r["included"]]
    names = list(rows[0]["fields"]) if rows else []
    for name in names:
        scores = [
            r["fields"][name]["confidence"]
            for r in included
            if r["fields"][name]["confidence"] is not None
        ]
        methods = {r["fields"][name]["method"] for r in rows if r["fields"][name]["method"]}
        out[name] = {
            "methods": sorted(methods),
            "mean_confidence": round(mean(scores), 6) if scores else None,
            "min_confidence": min(scores) if scores else None,
            "excluded": sum(1 for r in rows if r.get("reason_field") == name),
        }
    return out


def build_manifest(
    uow: UnitOfWork,
    project: Project,
    data: ReleaseInput,
    rows: list[dict[str, Any]],
    definition: dict[str, Any],
    previous: Release | None,
) -> dict[str, Any]:
    included = [r for r in rows if r["included"]]
    confidences = [r["confidence"] for r in included if r["confidence"] is not None]
    since = previous.manifest.get("guideline_version") if previous else None
    return {
        "format": MANIFEST_FORMAT,
        "project": {"id": project.id, "slug": project.slug},
        **definition,
        "schema_version": project.schema_version,
        "guideline_version": project.guideline_version,
        "schema_versions": sorted({v for r in included for v in r["schema_versions"]}),
        "guideline_versions": sorted({v for r in included for v in r["guideline_versions"]}),
        "counts": {
            "items": len(rows),
            "included": len(included),
            "excluded": len(rows) - len(included),
            "excluded_by_reason": dict(
                sorted(Counter(r["reason"] for r in rows if not r["included"]).items())
            ),
            "by_source": dict(sorted(Counter(r["source"] for r in included).items())),
            "labels": sum(r["n_labels"] for r in included),
        },
        "label_distribution": dict(
            sorted(Counter(r["label"] for r in included if r["label"] is not None).items())
        ),
        "fields": _field_summary(rows),
        "confidence": {
            "mean": round(mean(confidences), 6) if confidences else None,
            "median": round(median(confidences), 6) if confidences else None,
            "min": min(confidences) if confidences else None,
        },
        "agreement": _agreement(data),
        "previous": {"name": previous.name, "content_hash": previous.content_hash}
        if previous
        else None,
        "guideline_changelog": _changelog(uow, project, since),
    }
