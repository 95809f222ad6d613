"""`import-labelstudio`: a Label Studio project (its export and its labeling config) moved
into a labelcrew project in one unit of work.

The config becomes the schema (`domain.importing.labelstudio_config`; a new schema version
when the project's differs), each task an item (an id the project has is left as it is),
each annotation a label by its annotator (a member found or created by e-mail:
`labelstudio_members`), each ground-truth annotation the item's gold answer, and each
prediction a row of `predictions` with its model version and score. Cancelled (skipped)
annotations carry no label and are counted, not imported. A re-import adds only what is new:
an annotation is known by its Label Studio id (the label's idempotency key).

Every task is converted and checked against the schema before anything is written; any bad
region refuses the import (`labelstudio_rejected`, every problem named by task and
annotation) and nothing is written. A dry run does the whole import and rolls it back, so its
report is exactly what a real run would create.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import (
    Item,
    LabelSchemaVersion,
    Project,
)
from labelcrew.domain.importing.labelstudio_config import ConfigMapping, parse_config
from labelcrew.domain.importing.labelstudio_results import (
    ResultProblem,
    value_from_results,
)
from labelcrew.domain.importing.labelstudio_tasks import (
    LsTask,
    ranker_sizes,
    read_export,
)
from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.importing import labelstudio_writes as writes
from labelcrew.services.importing.labelstudio_mapping import SETTINGS_KEY
from labelcrew.services.importing.labelstudio_writes import LabelStudioReport
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import SLUG, load_project
from labelcrew.services.uow import Database, UnitOfWork


def _refusal(problems: list[dict[str, Any]], count: int, tasks: int) -> ValidationFailed:
    first = problems[0]
    return ValidationFailed(
        f"{count} problem(s) in {tasks} task(s); nothing was imported; first: "
        f"{first['where']}: {first['message']}",
        code="labelstudio_rejected",
        field=first.get("field") or "file",
        details={"errors": problems, "error_count": count},
    )


def _with_image_size(task: LsTask) -> dict[str, Any]:
    """The task's data, plus the image size its boxes were drawn on when the data lacks it
    (labelcrew boxes are pixels checked against the item's width and height)."""
    data = dict(task.data)
    if "width" in data or "image_width" in data:
        return data
    regions = [r for a in task.annotations for r in a.regions]
    regions += [r for p in task.predictions for r in p.regions]
    for region in regions:
        if isinstance(region, dict) and region.get("original_width"):
            data["width"] = region["original_width"]
            data["height"] = region.get("original_height")
            return data
    return data


class _Checker:
    def __init__(self, mapping: ConfigMapping, schema: LabelSchema, max_errors: int) -> None:
        self.mapping, self.schema, self.max_errors = mapping, schema, max_errors
        self.problems: list[dict[str, Any]] = []
        self.count = 0
        self.not_mapped: dict[str, int] = {}

    def problem(self, where: str, field_name: str | None, message: str) -> None:
        self.count += 1
        if len(self.problems) < self.max_errors:
            self.problems.append({"where": where, "field": field_name, "message": message})

    def value(
        self, where: str, regions: list[Any], payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        try:
            value, skipped = value_from_results(self.mapping, regions, payload)
        except ResultProblem as exc:
            self.problem(f"{where} {exc.where}", None, exc.message)
            return None
        for name in skipped:
            self.not_mapped[name] = self.not_mapped.get(name, 0) + 1
        try:
            return self.schema.validate(value, payload)
        except ValidationFailed as exc:
            for p in exc.details.get("errors") or [{"field": exc.field, "message": exc.message}]:
                self.problem(where, p["field"], str(p["message"]))
            return None

    def task(self, task: LsTask, payload: dict[str, Any]) -> writes.Converted:
        labels = []
        for a in task.annotations:
            if a.cancelled:
                continue
            value = self.value(a.where, a.regions, payload)
            if value is not None:
                labels.append((a, value))
        predictions = []
        for p in task.predictions:
            # A prediction may cover only some fields: it is kept as converted, never
            # required to be a complete label.
            try:
                value, _ = value_from_results(
                    self.mapping, p.regions, payload, regions_default=False
                )
            except ResultProblem as exc:
                self.problem(f"{p.where} {exc.where}", None, exc.message)
                continue
            predictions.append((p, value))
        return writes.Converted(task, payload, labels, predictions)


def _project(uow: UnitOfWork, ref: str, name: str | None, report: LabelStudioReport) -> Project:
    try:
        return load_project(uow, ref)
    except NotFound:
        if not SLUG.match(ref):
            raise ValidationFailed(
                f"project slug {ref!r} must be 2-80 lowercase letters, digits or '-'",
                field="project",
            ) from None
    project = Project(slug=ref, name=name or ref, created_at=uow.now, settings={})
    uow.session.add(project)
    uow.session.flush()
    report.project_created = True
    return project


def _schema_version(
    uow: UnitOfWork, actor: Actor, project: Project, schema: LabelSchema, report: LabelStudioReport
) -> int:
    definition = schema.to_dict()
    if project.schema_version is not None:
        current = uow.session.scalar(
            select(LabelSchemaVersion.definition).where(
                LabelSchemaVersion.project_id == project.id,
                LabelSchemaVersion.version == project.schema_version,
            )
        )
        if current is not None and LabelSchema.parse(current) == schema:
            return project.schema_version
    version = (project.schema_version or 0) + 1
    uow.session.add(
        LabelSchemaVersion(
            project_id=project.id,
            version=version,
            definition=definition,
            created_by=actor.user_id if actor.user_id > 0 else None,
            created_at=uow.now,
        )
    )
    project.schema_version = version
    report.schema_changed = True
    return version


def import_labelstudio(
    db: Database,
    actor: Actor,
    project_ref: str,
    *,
    config_xml: str,
    export: bytes,
    filename: str = "export.json",
    fmt: str | None = None,
    name: str | None = None,
    dry_run: bool = False,
    annotators: dict[str, str] | None = None,
    max_errors: int = 100,
) -> LabelStudioReport:
    """Import a Label Studio export into the project `project_ref` (a slug: created when it
    does not exist). All or nothing; see the module docstring."""
    mapping = parse_config(config_xml)
    try:
        chosen, tasks = read_export(
            export, mapping, fmt=fmt, filename=filename, annotators=annotators
        )
        mapping = mapping.with_candidates(ranker_sizes(tasks, mapping))
    except ResultProblem as exc:
        raise ValidationFailed(
            f"{filename}: {exc.where}: {exc.message}", code="labelstudio_rejected", field="file"
        ) from None
    schema = mapping.schema()
    report = LabelStudioReport(
        project=project_ref, format=chosen, dry_run=dry_run, tasks=len(tasks)
    )
    report.fields = [
        {"from_name": c.from_name, "tag": c.tag, "field": c.field, "kind": c.kind}
        for c in mapping.controls
    ]
    report.unmapped = [{"name": u.name, "tag": u.tag, "reason": u.reason} for u in mapping.unmapped]
    checker = _Checker(mapping, schema, max_errors)
    with db.uow() as uow:
        project = _project(uow, project_ref, name, report)
        # Labels of a task the project already has are checked against the stored item.
        stored = {
            external_id: payload
            for external_id, payload in uow.session.execute(
                select(Item.external_id, Item.payload).where(Item.project_id == project.id)
            )
        }
        converted = [
            checker.task(t, stored.get(t.external_id) or _with_image_size(t)) for t in tasks
        ]
        report.regions_not_mapped = dict(sorted(checker.not_mapped.items()))
        report.cancelled_skipped = sum(a.cancelled for t in tasks for a in t.annotations)
        report.predictions_by_id_only = sum(t.predictions_by_id for t in tasks)
        if checker.count:
            raise _refusal(checker.problems, checker.count, len(tasks))
        report.schema_version = _schema_version(uow, actor, project, schema, report)
        project.settings = {**(project.settings or {}), SETTINGS_KEY: mapping.to_dict()}
        writes.Writer(uow, project, report).write(converted)
        summary = {k: v for k, v in report.to_dict().items() if k not in ("fields", "unmapped")}
        audit(
            uow,
            actor_id=actor.user_id if actor.user_id > 0 else None,
            action="labelstudio.import",
            entity_type="project",
            entity_id=project.id,
            project_id=project.id,
            after=summary,
        )
        emit(uow, project_id=project.id, event_type="labelstudio.imported", payload=summary)
        if dry_run:
            uow.rollback()
        else:
            uow.commit()
    return report
