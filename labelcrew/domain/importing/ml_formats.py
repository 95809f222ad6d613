"""Release rows in the formats ML teams load (pure functions over plain values).

- crowd-kit: the long frame `task, worker, label` (plus `field`) that crowd-kit's
  aggregators take (`MajorityVote().fit_predict(df[df.field == "sentiment"])`). A label that
  is not a string or a number (a list of options, spans, boxes, an order) is its canonical
  JSON text, so equal labels are equal strings and every field can be aggregated.
- COCO (Lin et al., "Microsoft COCO: Common Objects in Context", ECCV 2014): `images`,
  `annotations` (`bbox` = [x, y, width, height] in pixels, `area`, `iscrowd` 0) and
  `categories` (ids from 1 in label order) for the release's consensus boxes.
- YOLO (Ultralytics' darknet text format): one `labels/<name>.txt` per image with
  `class x_center y_center width height` normalised to [0, 1] by the image size, and
  `data.yaml` naming the classes; an item without a width and height cannot be normalised
  and is listed in `skipped.txt`.
- CoNLL (the CoNLL-2003 shared task's two-column layout): one token per line with its BIO
  tag, a blank line between items; tokens are the whitespace-separated runs of the text. Where
  spans overlap, the earlier-starting (then longer) span tags the token.
- Spans JSONL: `{"id", "text", "entities": [[start, end, label], ...]}` with code point
  offsets; spaCy reads it with `doc.char_span(start, end, label)` (spaCy itself is not a
  dependency: DocBin needs spaCy's models installed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

WORD = re.compile(r"\S+")


def label_cell(value: Any) -> Any:
    """A hashable, comparable label: strings and numbers as they are, else canonical JSON."""
    if value is None or isinstance(value, str | int | float):
        return value
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def crowdkit_rows(
    rows: Iterable[Mapping[str, Any]], fields: Sequence[str], who: Mapping[int, str]
) -> list[tuple[str, str, str, Any]]:
    """(task, worker, field, label) for every live label of every field."""
    out = []
    for row in rows:
        for annotation in row.get("annotations") or []:
            worker = who.get(annotation["annotator_id"], str(annotation["annotator_id"]))
            value = annotation["value"]
            for name in fields:
                if value.get(name) is not None:
                    out.append((row["external_id"], worker, name, label_cell(value[name])))
    return out


def image_size(data: Mapping[str, Any]) -> tuple[Any, Any]:
    return data.get("width", data.get("image_width")), data.get("height", data.get("image_height"))


def file_name(data: Mapping[str, Any], source: str, external_id: str) -> str:
    raw = data.get(source)
    return str(raw) if isinstance(raw, str) and raw else external_id


def coco(
    rows: Iterable[Mapping[str, Any]], field: str, source: str, labels: Sequence[str]
) -> dict[str, Any]:
    categories = [{"id": i + 1, "name": name} for i, name in enumerate(labels)]
    category = {name: i + 1 for i, name in enumerate(labels)}
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for row in rows:
        data = row["data"]
        width, height = image_size(data)
        images.append(
            {
                "id": row["item_id"],
                "file_name": file_name(data, source, row["external_id"]),
                "width": width,
                "height": height,
                "external_id": row["external_id"],
            }
        )
        for box in (row.get("value") or {}).get(field) or []:
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": row["item_id"],
                    "category_id": category[box["label"]],
                    "bbox": [box["x"], box["y"], box["w"], box["h"]],
                    "area": box["w"] * box["h"],
                    "iscrowd": 0,
                }
            )
    return {"images": images, "annotations": annotations, "categories": categories}


def yolo_lines(
    boxes: Iterable[Mapping[str, Any]], labels: Sequence[str], width: float, height: float
) -> str:
    index = {name: i for i, name in enumerate(labels)}
    lines = []
    for b in boxes:
        cx, cy = (b["x"] + b["w"] / 2) / width, (b["y"] + b["h"] / 2) / height
        lines.append(
            f"{index[b['label']]} {cx:.6f} {cy:.6f} {b['w'] / width:.6f} {b['h'] / height:.6f}"
        )
    return "".join(line + "\n" for line in lines)


def yolo_stem(name: str) -> str:
    """The label file's name for an image: its base name without the extension."""
    base = name.rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return re.sub(r"[^A-Za-z0-9._-]", "_", stem) or "item"


def bio_tags(text: str, spans: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(token, tag) pairs: B-/I- for tokens inside a span, O elsewhere (see the docstring)."""
    ordered = sorted(spans, key=lambda s: (s["start"], -(s["end"] - s["start"])))
    out = []
    current: Mapping[str, Any] | None = None
    for match in WORD.finditer(text):
        start, end = match.span()
        inside = next((s for s in ordered if s["start"] < end and start < s["end"]), None)
        if inside is None:
            out.append((match.group(), "O"))
            current = None
            continue
        tag = "I" if inside is current else "B"
        out.append((match.group(), f"{tag}-{inside['label']}"))
        current = inside
    return out


def conll(rows: Iterable[Mapping[str, Any]], field: str, source: str) -> str:
    blocks = []
    for row in rows:
        text = row["data"].get(source)
        if not isinstance(text, str):
            continue
        spans = (row.get("value") or {}).get(field) or []
        lines = [f"# id = {row['external_id']}"]
        lines += [f"{token}\t{tag}" for token, tag in bio_tags(text, spans)]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def spans_jsonl(rows: Iterable[Mapping[str, Any]], field: str, source: str) -> bytes:
    out = []
    for row in rows:
        text = row["data"].get(source)
        if not isinstance(text, str):
            continue
        spans = (row.get("value") or {}).get(field) or []
        entities = [[s["start"], s["end"], s["label"]] for s in spans]
        out.append(orjson.dumps({"id": row["external_id"], "text": text, "entities": entities}))
    return b"".join(line + b"\n" for line in out)
