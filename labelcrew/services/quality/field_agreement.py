"""Agreement on every field of the schema (issue 16), each by the measure that fits its kind
(`labelcrew.domain.quality.agreement.fields`): the figures the metrics API and the dashboard
show per field and per label, beside the first single-choice field's full summary."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from labelcrew.domain.quality.agreement.fields import field_agreement
from labelcrew.errors import Conflict
from labelcrew.services.projects.projects import load_project
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.quality.drift_scan import live_labels
from labelcrew.services.uow import Database


def agreement_by_field(db: Database, project_id: int) -> list[dict[str, Any]]:
    """One entry per schema field, in schema order, over the live labels of non-gold items:
    the measure's name and value (None until two annotators labelled one item), the items
    and labels it rests on, per-label figures and secondary measures."""
    with db.uow(read_only=True) as uow:
        project = load_project(uow, project_id)
        if project.schema_version is None:
            raise Conflict("this project has no label schema yet", code="no_schema")
        schema = schema_for(uow, project.id, project.schema_version)
        rows = list(live_labels(uow, project.id))
    out = []
    for field in schema.fields:
        given = [r for r in rows if r.value.get(field.name) is not None]
        measured = field_agreement(
            field,
            [r.item_id for r in given],
            [r.username for r in given],
            [r.value[field.name] for r in given],
        )
        out.append({**asdict(measured), "required": field.required})
    return out
