"""Export to Label Studio (JSON tasks): a live project, or a published release.

- Live (`export_project`): every item, each live label as an annotation by its annotator
  (`completed_by.email` is the e-mail the member had in Label Studio, else
  `<username>@labelcrew.local`), the gold answer as a ground-truth annotation, and the kept
  predictions. Importing this file with `import-labelstudio` gives back the same items,
  labels, annotators, gold answers and predictions.
- A release (`release_tasks`): each included item; `view` "both" (the release format
  `labelstudio`) writes the consensus first and then every annotator's label, "consensus"
  only the consensus, "annotators" only the labels. The release's columns stay in `meta`.

A project imported from Label Studio is written with its own config's `from_name`s; any other
gets a config built from its schema (`domain.importing.labelstudio_export`), returned beside
the tasks so that a Label Studio project can be set up to read them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select

from labelcrew.db.models.core import Annotation, GoldAnswer, Item, Project
from labelcrew.db.models.predictions import Prediction
from labelcrew.db.models.releases import Release
from labelcrew.domain.importing.labelstudio_export import LabelOut, build_task, config_xml
from labelcrew.errors import ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.importing.labelstudio_mapping import LOCAL_DOMAIN, mapping_of, pairs, people
from labelcrew.services.platform.events import audit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.teamops import privacy
from labelcrew.services.uow import Database, UnitOfWork

VIEWS = ("both", "annotators", "consensus")
CONSENSUS_EMAIL = f"consensus@{LOCAL_DOMAIN}"


@dataclass(frozen=True)
class LabelStudioFile:
    content: bytes
    filename: str
    tasks: int
    config: str


def config_of(db: Database, ref: int | str) -> str:
    """The labeling config the project's Label Studio exports are written for."""
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        if project.schema_version is None:
            raise ValidationFailed("the project has no label schema yet", field="project")
        return config_xml(mapping_of(project, schema_for(uow, project.id, project.schema_version)))


def _audit(uow: UnitOfWork, actor: Actor, project: Project, after: dict[str, Any]) -> None:
    audit(
        uow,
        actor_id=actor.user_id if actor.user_id > 0 else None,
        action="labelstudio.export",
        entity_type="project",
        entity_id=project.id,
        project_id=project.id,
        after=after,
    )


def export_project(db: Database, actor: Actor, ref: int | str) -> LabelStudioFile:
    """The live project as a Label Studio JSON export (see the module docstring)."""
    with db.uow() as uow:
        project = load_project(uow, ref)
        if project.schema_version is None:
            raise ValidationFailed("the project has no label schema yet", field="project")
        schema = schema_for(uow, project.id, project.schema_version)
        mapping = mapping_of(project, schema)
        viewer = privacy.viewer_of(uow, project.id, actor)
        items = uow.session.execute(
            select(Item.id, Item.external_id, Item.payload)
            .where(Item.project_id == project.id)
            .order_by(Item.id)
        ).all()
        labels: dict[int, list[Any]] = {}
        for row in uow.session.execute(
            select(
                Annotation.id,
                Annotation.item_id,
                Annotation.annotator_id,
                Annotation.value,
                Annotation.duration_ms,
            )
            .where(Annotation.project_id == project.id, Annotation.superseded_at.is_(None))
            .order_by(Annotation.id)
        ):
            labels.setdefault(row.item_id, []).append(row)
        gold = pairs(
            uow.session.execute(
                select(GoldAnswer.item_id, GoldAnswer.value)
                .join(Item, Item.id == GoldAnswer.item_id)
                .where(Item.project_id == project.id)
            )
        )
        gold_by = pairs(
            uow.session.execute(
                select(GoldAnswer.item_id, GoldAnswer.created_by)
                .join(Item, Item.id == GoldAnswer.item_id)
                .where(Item.project_id == project.id)
            )
        )
        predictions: dict[int, list[Any]] = {}
        for p in uow.session.scalars(
            select(Prediction).where(Prediction.project_id == project.id).order_by(Prediction.id)
        ):
            predictions.setdefault(p.item_id, []).append(p)
        who = people(
            uow,
            [r.annotator_id for rows in labels.values() for r in rows]
            + [u for u in gold_by.values() if u is not None],
        )
        tasks = []
        for item_id, external_id, payload in items:
            outs = _live_labels(labels.get(item_id, []), gold.get(item_id), gold_by, item_id, who)
            tasks.append(
                build_task(
                    mapping,
                    task_id=item_id,
                    external_id=external_id,
                    payload=privacy.present(project, payload, viewer),
                    labels=outs,
                    predictions=[
                        (p.model_version, p.score, p.value) for p in predictions.get(item_id, [])
                    ],
                )
            )
        _audit(uow, actor, project, {"format": "labelstudio", "tasks": len(tasks), "release": None})
        uow.commit()
        slug = project.slug
    return LabelStudioFile(
        orjson.dumps(tasks), f"{slug}-labelstudio.json", len(tasks), config_xml(mapping)
    )


def _live_labels(
    rows: list[Any],
    gold: dict[str, Any] | None,
    gold_by: dict[int, int | None],
    item_id: int,
    who: dict[int, tuple[str, str]],
) -> list[LabelOut]:
    """An item's labels; the label equal to its gold answer is the ground truth (Label Studio
    marks one annotation so), else the gold answer is an annotation of its own."""
    outs = []
    flagged = gold is None
    for r in rows:
        email, name = who.get(r.annotator_id, (f"user-{r.annotator_id}@{LOCAL_DOMAIN}", ""))
        truth = not flagged and dict(r.value) == dict(gold or {})
        flagged = flagged or truth
        lead = None if r.duration_ms is None else r.duration_ms / 1000
        outs.append(LabelOut(r.id, email, name, r.value, ground_truth=truth, lead_time=lead))
    if not flagged and gold is not None:
        author = gold_by.get(item_id)
        email, name = who.get(author or 0, (f"gold@{LOCAL_DOMAIN}", ""))
        outs.append(LabelOut(f"gold-{item_id}", email, name, gold, ground_truth=True))
    return outs


def release_tasks(
    uow: UnitOfWork,
    project: Project,
    release: Release,
    rows: list[dict[str, Any]],
    columns: Iterable[str],
    view: str = "both",
) -> bytes:
    """A release's included rows as Label Studio tasks (see the module docstring)."""
    if view not in VIEWS:
        raise ValidationFailed(f"view {view!r} is not one of {', '.join(VIEWS)}", field="view")
    schema = schema_for(uow, project.id, release.manifest["schema_version"])
    mapping = mapping_of(project, schema)
    who = people(uow, [a["annotator_id"] for r in rows for a in r.get("annotations") or []])
    keep = [k for k in columns if k not in ("item_id", "external_id", "data")]
    tasks = []
    for r in rows:
        labels: list[LabelOut] = []
        if view in ("both", "consensus") and r.get("value") is not None:
            labels.append(
                LabelOut(f"consensus-{r['item_id']}", CONSENSUS_EMAIL, "consensus", r["value"])
            )
        if view in ("both", "annotators"):
            for a in r.get("annotations") or []:
                email, name = who.get(
                    a["annotator_id"], (f"user-{a['annotator_id']}@{LOCAL_DOMAIN}", "")
                )
                labels.append(LabelOut(a["annotation_id"], email, name, a["value"]))
        tasks.append(
            build_task(
                mapping,
                task_id=r["item_id"],
                external_id=r["external_id"],
                payload=r["data"],
                labels=labels,
                meta={
                    "release": release.name,
                    "content_hash": release.content_hash,
                    **{k: r.get(k) for k in keep},
                },
            )
        )
    return orjson.dumps(tasks)
