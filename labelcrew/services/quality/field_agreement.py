"""Agreement on every field of the schema (issue 16), each by the measure that fits its kind
(`labelcrew.domain.quality.agreement.fields`): the figures the metrics API and the dashboard
show per field and per label, beside the first single-choice field's full summary, and the
alert the hourly scan raises for a field whose figure sits below the project's warning level.

Alerts wait for `MIN_ITEMS` items labelled by two or more members (fewer say little), and
free text is never alerted on (its similarity is reported only: two people word a note
differently without disagreeing). The measure differs by kind (alpha, F1 at an IoU threshold);
each is 1 for perfect agreement, and the same warning level applies to all of them.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Annotation, Item, User
from labelcrew.domain.quality.agreement.fields import field_agreement
from labelcrew.errors import Conflict
from labelcrew.services.projects.projects import load_project
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.quality.alerts import raise_alert
from labelcrew.services.quality.measures import thresholds_of
from labelcrew.services.uow import Database

MIN_ITEMS = 10
NOT_ALERTED = ("text",)


def agreement_by_field(
    db: Database, project_id: int, *, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """One entry per schema field, in schema order, over the live labels of non-gold items
    (made in [since, until) when given): the measure's name and value (None until two
    annotators labelled one item), the items and labels it rests on, per-label figures and
    secondary measures."""
    with db.uow(read_only=True) as uow:
        project = load_project(uow, project_id)
        if project.schema_version is None:
            raise Conflict("this project has no label schema yet", code="no_schema")
        schema = schema_for(uow, project.id, project.schema_version)
        query = (
            select(Annotation.item_id, User.username, Annotation.value)
            .join(Item, Item.id == Annotation.item_id)
            .join(User, User.id == Annotation.annotator_id)
            .where(
                Annotation.project_id == project.id,
                Annotation.superseded_at.is_(None),
                Item.is_gold.is_(False),
            )
        )
        if since is not None:
            query = query.where(Annotation.created_at >= since)
        if until is not None:
            query = query.where(Annotation.created_at < until)
        rows = list(uow.session.execute(query))
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


def week_against_last(
    db: Database, project_id: int, lo: datetime, hi: datetime
) -> list[dict[str, Any]]:
    """Each field's agreement on the labels made in [lo, hi) and in the seven days before, as
    the weekly snapshot shows it (team figures); [] before the project has a schema."""
    try:
        now = agreement_by_field(db, project_id, since=lo, until=hi)
        before = agreement_by_field(db, project_id, since=lo - timedelta(days=7), until=lo)
    except Conflict:
        return []
    return [
        {
            "field": f["field"],
            "kind": f["kind"],
            "measure": f["measure"],
            "this_week": f["value"],
            "last_week": b["value"],
            "items": f["n_items"],
        }
        for f, b in zip(now, before, strict=True)
    ]


def alert_low_fields(db: Database, project_id: int) -> list[str]:
    """Raise (or refresh) one alert per field below the warning level; the fields alerted."""
    measured = agreement_by_field(db, project_id)
    alerted = []
    with db.uow() as uow:
        thresholds = thresholds_of(load_project(uow, project_id))
        for f in measured:
            low = f["value"] is not None and f["value"] < thresholds.warning
            if f["kind"] in NOT_ALERTED or f["n_items"] < MIN_ITEMS or not low:
                continue
            raise_alert(
                uow,
                project_id=project_id,
                kind="agreement",
                subject=f"field:{f['field']}",
                severity="warning",
                message=f"{f['measure']} on field {f['field']} ({f['kind']}) is "
                f"{f['value']:.3f} over {f['n_items']} items (warning below {thresholds.warning})",
                evidence={k: f[k] for k in ("field", "kind", "measure", "value", "n_items")}
                | {"per_label": f["per_label"]},
            )
            alerted.append(f["field"])
        uow.commit()
    return alerted
