"""Release formats for ML tooling: crowd-kit, COCO, YOLO, CoNLL, spans JSONL and Parquet with
typed columns (`domain.importing.ml_formats` holds the conversions and their references).

Parquet (`parquet`, one row per included item; `parquet-annotations`, one row per live label
beside it) has a real Arrow column per schema field, so that Hugging Face `datasets`
(`load_dataset("parquet", data_files=...)`) and pandas read values, not JSON text:

| field kind     | column type                                                  |
|----------------|--------------------------------------------------------------|
| single_choice  | string                                                       |
| multi_choice   | list<string>                                                 |
| rating         | double                                                       |
| ranking        | list<int64> (list<list<int64>> with ties)                    |
| spans          | list<struct<start: int64, end: int64, label: string>>        |
| bbox           | list<struct<x, y, w, h: double, label: string>>              |
| text           | string                                                       |

Each item's data keys become `data.<key>` columns when every row's value fits one Arrow type
(else that key stays in the `data` JSON column only).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from labelcrew.db.models.releases import Release
from labelcrew.domain.importing import ml_formats
from labelcrew.domain.schema.base import Field
from labelcrew.domain.schema.fields import Ranking
from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.errors import Conflict

SPAN = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string())])
BOX = pa.struct(
    [
        ("x", pa.float64()),
        ("y", pa.float64()),
        ("w", pa.float64()),
        ("h", pa.float64()),
        ("label", pa.string()),
    ]
)
FORMATS = {
    "crowdkit": ("text/csv", "csv"),
    "coco": ("application/json", "json"),
    "yolo": ("application/zip", "zip"),
    "conll": ("text/plain", "conll"),
    "spans-jsonl": ("application/x-ndjson", "jsonl"),
    "parquet-annotations": ("application/vnd.apache.parquet", "parquet"),
}
NEEDS = {"coco": "bbox", "yolo": "bbox", "conll": "spans", "spans-jsonl": "spans"}


def fitting(names: list[str], kinds: set[str]) -> list[str]:
    """The formats of ``names`` a schema with fields of ``kinds`` can be written in (COCO and
    YOLO need a box field, CoNLL and span JSONL a span field)."""
    return [n for n in names if NEEDS.get(n) is None or NEEDS[n] in kinds]


@dataclass(frozen=True)
class ReleaseView:
    """What a format renders: the release, its included rows, the schema it was made under
    and each annotator's name in the file (e-mail or username)."""

    release: Release
    rows: list[dict[str, Any]]
    schema: LabelSchema
    who: Mapping[int, str]
    field: str | None = None


def arrow_type(f: Field) -> pa.DataType:
    if f.kind in ("single_choice", "text"):
        return pa.string()
    if f.kind == "multi_choice":
        return pa.list_(pa.string())
    if f.kind == "rating":
        return pa.float64()
    if f.kind == "ranking":
        ties = isinstance(f, Ranking) and f.allow_ties
        return pa.list_(pa.list_(pa.int64())) if ties else pa.list_(pa.int64())
    if f.kind == "spans":
        return pa.list_(SPAN)
    return pa.list_(BOX)


def _typed(f: Field, value: Any) -> Any:
    if value is None:
        return None
    if f.kind == "rating":
        return float(value)
    if f.kind == "bbox":
        return [{**b, **{k: float(b[k]) for k in ("x", "y", "w", "h")}} for b in value]
    return value


def _data_columns(rows: Sequence[Mapping[str, Any]]) -> dict[str, pa.Array]:
    keys: dict[str, None] = {}
    for r in rows:
        keys.update(dict.fromkeys(r["data"]))
    out = {}
    for key in keys:
        try:
            out[f"data.{key}"] = pa.array([r["data"].get(key) for r in rows])
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            continue  # mixed types: the key stays in the `data` JSON column
    return out


def field_of(view: ReleaseView, kinds: tuple[str, ...]) -> Field:
    """The field a one-field format writes: the one asked for, else the first of its kinds."""
    fields = [f for f in view.schema.fields if f.kind in kinds]
    if view.field is not None:
        fields = [f for f in fields if f.name == view.field]
    if not fields:
        wanted = f"field {view.field!r} of kind" if view.field else "field of kind"
        raise Conflict(
            f"the release's schema has no {wanted} {' or '.join(kinds)}",
            code="no_such_field",
            field="field",
        )
    return fields[0]


def parquet_table(
    view: ReleaseView, base: dict[str, pa.Array], values: list[Mapping[str, Any]]
) -> bytes:
    columns = dict(base)
    for f in view.schema.fields:
        columns[f"field.{f.name}"] = pa.array(
            [_typed(f, (v or {}).get(f.name)) for v in values], type=arrow_type(f)
        )
    return parquet_bytes(view, columns)


def typed_field_columns(view: ReleaseView) -> dict[str, pa.Array]:
    """`field.<name>` (typed consensus) and `field.<name>.confidence` per field, and the
    data columns, for the item-per-row Parquet file."""
    rows = view.rows
    out: dict[str, pa.Array] = {}
    for f in view.schema.fields:
        cells = [((r.get("fields") or {}).get(f.name) or {}) for r in rows]
        out[f"field.{f.name}"] = pa.array(
            [_typed(f, c.get("value")) for c in cells], type=arrow_type(f)
        )
        out[f"field.{f.name}.confidence"] = pa.array(
            [c.get("confidence") for c in cells], type=pa.float64()
        )
    out.update(_data_columns(rows))
    return out


def _annotations_parquet(view: ReleaseView) -> bytes:
    pairs = [(r, a) for r in view.rows for a in r.get("annotations") or []]
    base = {
        "item_id": pa.array([r["item_id"] for r, _ in pairs], type=pa.int64()),
        "external_id": pa.array([r["external_id"] for r, _ in pairs], type=pa.string()),
        "annotator": pa.array(
            [view.who.get(a["annotator_id"], str(a["annotator_id"])) for _, a in pairs],
            type=pa.string(),
        ),
        "annotation_id": pa.array([a["annotation_id"] for _, a in pairs], type=pa.int64()),
        "guideline_version": pa.array(
            [a.get("guideline_version") for _, a in pairs], type=pa.int64()
        ),
    }
    return parquet_table(view, base, [a["value"] for _, a in pairs])


def _crowdkit(view: ReleaseView) -> bytes:
    import csv

    names = [f.name for f in view.schema.fields]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["task", "worker", "field", "label"])
    writer.writerows(ml_formats.crowdkit_rows(view.rows, names, view.who))
    return out.getvalue().encode()


def _source_and_labels(f: Field) -> tuple[str, list[str]]:
    settings = f.to_dict()
    return str(settings["source"]), list(settings["labels"])


def _coco(view: ReleaseView) -> bytes:
    f = field_of(view, ("bbox",))
    source, labels = _source_and_labels(f)
    return orjson.dumps(ml_formats.coco(view.rows, f.name, source, labels))


def _yolo(view: ReleaseView) -> bytes:
    f = field_of(view, ("bbox",))
    source, labels = _source_and_labels(f)
    sink = io.BytesIO()
    skipped, taken = [], set()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        for r in view.rows:
            width, height = ml_formats.image_size(r["data"])
            if not width or not height:
                skipped.append(f"{r['external_id']}: no width/height to normalise by")
                continue
            stem = ml_formats.yolo_stem(ml_formats.file_name(r["data"], source, r["external_id"]))
            if stem in taken:
                stem = f"{stem}-{r['item_id']}"
            taken.add(stem)
            boxes = (r.get("value") or {}).get(f.name) or []
            archive.writestr(
                f"labels/{stem}.txt", ml_formats.yolo_lines(boxes, labels, width, height)
            )
        names = "".join(f"  {i}: {orjson.dumps(n).decode()}\n" for i, n in enumerate(labels))
        archive.writestr("data.yaml", f"nc: {len(labels)}\nnames:\n{names}")
        if skipped:
            archive.writestr("skipped.txt", "\n".join(skipped) + "\n")
    return sink.getvalue()


def _conll(view: ReleaseView) -> bytes:
    f = field_of(view, ("spans",))
    return ml_formats.conll(view.rows, f.name, str(f.to_dict()["source"])).encode()


def _spans(view: ReleaseView) -> bytes:
    f = field_of(view, ("spans",))
    return ml_formats.spans_jsonl(view.rows, f.name, str(f.to_dict()["source"]))


RENDER = {
    "crowdkit": _crowdkit,
    "coco": _coco,
    "yolo": _yolo,
    "conll": _conll,
    "spans-jsonl": _spans,
    "parquet-annotations": _annotations_parquet,
}


def parquet_bytes(view: ReleaseView, columns: dict[str, Any]) -> bytes:
    """A Parquet file of ``columns`` that names the release, its hash and method."""
    table = pa.table(columns).replace_schema_metadata(
        {
            "labelcrew.release": view.release.name,
            "labelcrew.content_hash": view.release.content_hash,
            "labelcrew.method": view.release.method,
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()
