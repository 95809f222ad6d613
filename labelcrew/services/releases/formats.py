"""Export a published release as JSONL, CSV, Parquet or Label Studio JSON; every export is
written to the audit log (who, which release, which format, its hash) before the file is made.

Only included rows are exported (the manifest and `releases.excluded_items` tell what was left
out and why). Every format carries the same columns: item id, external id, the first
single-choice field's label (empty when the schema has none), the full value, the item's
confidence (its weakest required field's), source (review or consensus), method, number of
labels, the guideline and schema versions, the votes, the item's data, ``fields`` (each
field's value, confidence, method and source) and ``annotations`` (every live label by its
annotator, beside the consensus).

- JSONL: one object per item, nested values kept as JSON.
- CSV: lists, votes, value, data, fields and annotations are JSON strings in their cells; then
  two columns per schema field, ``field.<name>`` (its value, JSON for lists) and
  ``field.<name>.confidence``, so a spreadsheet reads each field's consensus without parsing.
- Parquet: versions are ``list<int64>``; value, votes, data, fields and annotations are JSON
  strings (their shape differs per project); then typed columns (`ml_format`): ``field.<name>``
  in the field kind's Arrow type, ``field.<name>.confidence`` (double) and ``data.<key>``;
  the release name and hash are in the file's schema metadata. ``parquet-annotations`` has one
  row per live label (annotator, annotation id) with the same typed field columns.
- crowd-kit, COCO, YOLO, CoNLL and spans JSONL: see `ml_format`.
- Label Studio (`labelstudio_format`): a JSON list of tasks; `labelstudio` holds the consensus
  and then every annotator's label as annotations, `labelstudio-consensus` and
  `labelstudio-annotators` one of the two; every field kind is a result region (spans,
  boxes, rankings included) and the release's columns are in ``meta``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa

from labelcrew.db.models.releases import Release
from labelcrew.errors import ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.importing.labelstudio_mapping import LOCAL_DOMAIN, people
from labelcrew.services.platform.events import audit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.releases import labelstudio_format, ml_format
from labelcrew.services.releases.publish import load_release, release_rows
from labelcrew.services.teamops import privacy
from labelcrew.services.uow import Database

FORMATS = {
    "jsonl": ("application/x-ndjson", "jsonl"),
    "csv": ("text/csv", "csv"),
    "parquet": ("application/vnd.apache.parquet", "parquet"),
    "labelstudio": ("application/json", "json"),
    "labelstudio-annotators": ("application/json", "json"),
    "labelstudio-consensus": ("application/json", "json"),
    **ml_format.FORMATS,
}
COLUMNS = (
    "item_id",
    "external_id",
    "label",
    "confidence",
    "source",
    "method",
    "n_labels",
    "guideline_versions",
    "schema_versions",
    "value",
    "votes",
    "data",
    "fields",
    "annotations",
)
JSON_COLUMNS = ("value", "votes", "data", "fields", "annotations")


@dataclass(frozen=True)
class ReleaseFile:
    content: bytes
    media_type: str
    filename: str
    rows: int


def export_release(
    db: Database, actor: Actor, ref: int | str, name: str, fmt: str, *, field: str | None = None
) -> ReleaseFile:
    """The release as a file; `field` picks the field of a one-field format (COCO, YOLO:
    boxes; CoNLL, spans JSONL: spans), by default the schema's first of that kind."""
    if fmt not in FORMATS:
        raise ValidationFailed(f"format {fmt!r} is not one of {', '.join(FORMATS)}", field="format")
    with db.uow() as uow:
        project = load_project(uow, ref)
        release = load_release(uow, project.id, name)
        # The stored rows (and their hash) keep the data as frozen; the file carries sensitive
        # fields only as the exporter's roles may see them, as the project export does.
        viewer = privacy.viewer_of(uow, project.id, actor)
        rows = [
            {**r, "method": release.method, "data": privacy.present(project, r["data"], viewer)}
            for r in release_rows(uow, release, included_only=True)
        ]
        schema = schema_for(uow, project.id, release.manifest["schema_version"])
        kinds = {f.name: f.kind for f in schema.fields}
        audit(
            uow,
            actor_id=actor.user_id,
            action="release.export",
            entity_type="release",
            entity_id=release.id,
            project_id=project.id,
            after={
                "name": release.name,
                "format": fmt,
                "content_hash": release.content_hash,
                "rows": len(rows),
            },
        )
        if fmt.startswith("labelstudio"):
            view = fmt.removeprefix("labelstudio").removeprefix("-") or "both"
            content = labelstudio_format.release_tasks(uow, project, release, rows, COLUMNS, view)
        elif fmt in ml_format.RENDER or fmt == "parquet":
            who = {
                user_id: email.removesuffix(f"@{LOCAL_DOMAIN}")
                for user_id, (email, _) in people(
                    uow, [a["annotator_id"] for r in rows for a in r.get("annotations") or []]
                ).items()
            }
            shown = ml_format.ReleaseView(release, rows, schema, who, field)
            content = _parquet(shown) if fmt == "parquet" else ml_format.RENDER[fmt](shown)
        else:
            content = RENDER[fmt](release, rows, kinds)
        uow.commit()
    media, ext = FORMATS[fmt]
    return ReleaseFile(content, media, f"{project.slug}-{release.name}.{ext}", len(rows))


def _jsonl(release: Release, rows: list[dict[str, Any]], _: dict[str, str]) -> bytes:
    return b"".join(orjson.dumps({k: r[k] for k in COLUMNS}) + b"\n" for r in rows)


def _field_cells(row: dict[str, Any], name: str) -> tuple[Any, float | None]:
    """One field's final value (JSON text unless a plain string or number) and confidence."""
    found = (row.get("fields") or {}).get(name) or {}
    value = found.get("value")
    if value is not None and not isinstance(value, str | int | float):
        value = orjson.dumps(value).decode()
    return value, found.get("confidence")


def _csv(release: Release, rows: list[dict[str, Any]], kinds: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [*COLUMNS, *(c for n in kinds for c in (f"field.{n}", f"field.{n}.confidence"))]
    )
    for r in rows:
        writer.writerow(
            [
                orjson.dumps(r[k]).decode() if k in JSON_COLUMNS or isinstance(r[k], list) else r[k]
                for k in COLUMNS
            ]
            + [cell for n in kinds for cell in _field_cells(r, n)]
        )
    return out.getvalue().encode()


def _parquet(view: ml_format.ReleaseView) -> bytes:
    rows = view.rows
    columns = {
        "item_id": pa.array([r["item_id"] for r in rows], type=pa.int64()),
        "external_id": pa.array([r["external_id"] for r in rows], type=pa.string()),
        "label": pa.array([r["label"] for r in rows], type=pa.string()),
        "confidence": pa.array([r["confidence"] for r in rows], type=pa.float64()),
        "source": pa.array([r["source"] for r in rows], type=pa.string()),
        "method": pa.array([r["method"] for r in rows], type=pa.string()),
        "n_labels": pa.array([r["n_labels"] for r in rows], type=pa.int64()),
        "guideline_versions": pa.array(
            [r["guideline_versions"] for r in rows], type=pa.list_(pa.int64())
        ),
        "schema_versions": pa.array(
            [r["schema_versions"] for r in rows], type=pa.list_(pa.int64())
        ),
        # Their shape differs per project: kept whole as JSON beside the typed columns.
        **{
            k: pa.array([orjson.dumps(r[k]).decode() for r in rows], type=pa.string())
            for k in JSON_COLUMNS
        },
    }
    columns.update(ml_format.typed_field_columns(view))
    return ml_format.parquet_bytes(view, columns)


RENDER = {"jsonl": _jsonl, "csv": _csv}
