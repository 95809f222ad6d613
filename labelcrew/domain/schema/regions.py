"""Field kinds that mark regions of the item: text spans and bounding boxes.

- `spans`: value is a list of {"start", "end", "label"}; character offsets into the string
  `payload[source]` (Python `str` indexing, i.e. Unicode code points), end exclusive,
  0 <= start < end <= len(text), label one of `labels`. Spans may not overlap unless
  `allow_overlap`; the same (start, end, label) twice is always an error. Normalised by sorting
  on (start, end, label). Gold rule: exact match of the set of (start, end, label).
- `bbox`: value is a list of {"x", "y", "w", "h", "label"} in pixels, x, y >= 0, w, h > 0.
  When the payload carries `width`/`height` (or `image_width`/`image_height`), each box must lie
  inside the image. Returned in the given order. Agreement form: the sorted boxes rounded to
  whole pixels. Gold rule: a one-to-one matching exists between the submitted and expected
  boxes in which every matched pair has the same label and IoU >= `iou_threshold` (default
  0.5, the PASCAL VOC criterion: Everingham et al., "The PASCAL Visual Object Classes (VOC)
  Challenge", IJCV 2010), and no box is left over.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labelcrew.domain.schema.base import (
    Definition,
    Field,
    is_int,
    is_number,
    require_list,
    require_object,
    schema_error,
    value_error,
)

SPAN_KEYS = ("start", "end", "label")
BOX_KEYS = ("x", "y", "w", "h", "label")
# A box edge may touch the image border; allow float noise from UI coordinate conversions.
EDGE_TOLERANCE = 1e-6


def _check_label(label: Any, labels: tuple[str, ...], path: str) -> None:
    if not isinstance(label, str) or label not in labels:
        raise value_error(path, f"{label!r} is not one of {list(labels)}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Spans(Field):
    kind = "spans"

    labels: tuple[str, ...]
    source: str = "text"
    allow_overlap: bool = False

    @classmethod
    def from_definition(cls, d: Definition) -> Spans:
        return cls(
            **cls.common(d),
            labels=d.names("labels", minimum=1),
            source=d.text("source", "text") or "text",
            allow_overlap=d.flag("allow_overlap", False),
        )

    def settings(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "source": self.source,
            "allow_overlap": self.allow_overlap,
        }

    def _text_length(self, path: str, payload: Mapping[str, Any] | None) -> int | None:
        if payload is None:
            return None
        text = payload.get(self.source)
        if not isinstance(text, str):
            raise value_error(
                path, f"the item has no text in payload[{self.source!r}] to mark spans in"
            )
        return len(text)

    def validate(
        self, value: Any, path: str, payload: Mapping[str, Any] | None
    ) -> list[dict[str, Any]]:
        spans = require_list(value, path)
        length = self._text_length(path, payload) if spans else None
        keyed: list[tuple[int, int, str, int]] = []
        for i, raw in enumerate(spans):
            at = f"{path}[{i}]"
            span = require_object(raw, at, SPAN_KEYS)
            start, end, label = span["start"], span["end"], span["label"]
            for key, offset in (("start", start), ("end", end)):
                if not is_int(offset):
                    raise value_error(f"{at}.{key}", f"must be an integer offset, not {offset!r}")
            if start < 0:
                raise value_error(f"{at}.start", f"start {start} must be >= 0")
            if end <= start:
                raise value_error(f"{at}.end", f"end {end} must be greater than start {start}")
            if length is not None and end > length:
                raise value_error(
                    f"{at}.end", f"end {end} is past the end of text (length {length})"
                )
            _check_label(label, self.labels, f"{at}.label")
            keyed.append((start, end, label, i))
        keyed.sort()
        reach_end, reach_index = -1, -1  # the span reaching furthest right so far
        for k, (start, end, label, i) in enumerate(keyed):
            if k and keyed[k - 1][:3] == (start, end, label):
                raise value_error(
                    f"{path}[{i}]", f"duplicates span {keyed[k - 1][3]} [{start}, {end}) {label}"
                )
            if not self.allow_overlap and start < reach_end:
                raise value_error(
                    f"{path}[{i}]",
                    f"span [{start}, {end}) overlaps span {reach_index} ending at {reach_end}; overlaps are not allowed",
                )
            if end > reach_end:
                reach_end, reach_index = end, i
        return [{"start": s, "end": e, "label": lab} for s, e, lab, _ in keyed]

    def agreement_value(self, value: Any) -> Hashable:
        return tuple(sorted((span["start"], span["end"], span["label"]) for span in value))


def _image_size(payload: Mapping[str, Any] | None) -> tuple[Any, Any]:
    if payload is None:
        return None, None
    width = payload.get("width", payload.get("image_width"))
    height = payload.get("height", payload.get("image_height"))
    return (width if is_number(width) else None), (height if is_number(height) else None)


def iou(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    """Intersection over union of two axis-aligned boxes {x, y, w, h}."""
    dx = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
    dy = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    if dx <= 0 or dy <= 0:
        return 0.0
    inter = dx * dy
    return float(inter / (a["w"] * a["h"] + b["w"] * b["h"] - inter))


def perfect_matching(edges: Sequence[Sequence[int]], right_count: int) -> bool:
    """Whether every left node can be matched to a distinct right node (Kuhn's augmenting paths)."""
    match_of_right = [-1] * right_count

    def augment(left: int, visited: list[bool]) -> bool:
        for right in edges[left]:
            if visited[right]:
                continue
            visited[right] = True
            if match_of_right[right] < 0 or augment(match_of_right[right], visited):
                match_of_right[right] = left
                return True
        return False

    return all(augment(left, [False] * right_count) for left in range(len(edges)))


@dataclass(frozen=True, slots=True, kw_only=True)
class BBox(Field):
    kind = "bbox"

    labels: tuple[str, ...]
    source: str = "image"
    iou_threshold: float = 0.5

    @classmethod
    def from_definition(cls, d: Definition) -> BBox:
        threshold = d.number("iou_threshold", 0.5)
        if threshold is None or not 0 < threshold <= 1:
            raise schema_error(d.at("iou_threshold"), f"must be in (0, 1], not {threshold}")
        return cls(
            **cls.common(d),
            labels=d.names("labels", minimum=1),
            source=d.text("source", "image") or "image",
            iou_threshold=float(threshold),
        )

    def settings(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "source": self.source,
            "iou_threshold": self.iou_threshold,
        }

    def validate(
        self, value: Any, path: str, payload: Mapping[str, Any] | None
    ) -> list[dict[str, Any]]:
        boxes = require_list(value, path)
        width, height = _image_size(payload)
        out: list[dict[str, Any]] = []
        for i, raw in enumerate(boxes):
            at = f"{path}[{i}]"
            box = require_object(raw, at, BOX_KEYS)
            for key in ("x", "y", "w", "h"):
                if not is_number(box[key]):
                    raise value_error(
                        f"{at}.{key}", f"must be a number of pixels, not {box[key]!r}"
                    )
            for key in ("x", "y"):
                if box[key] < 0:
                    raise value_error(f"{at}.{key}", f"{key} {box[key]} must be >= 0")
            for key in ("w", "h"):
                if box[key] <= 0:
                    raise value_error(f"{at}.{key}", f"{key} {box[key]} must be > 0")
            if width is not None and box["x"] + box["w"] > width + EDGE_TOLERANCE:
                raise value_error(
                    f"{at}.w", f"x + w = {box['x'] + box['w']} is past the image width {width}"
                )
            if height is not None and box["y"] + box["h"] > height + EDGE_TOLERANCE:
                raise value_error(
                    f"{at}.h", f"y + h = {box['y'] + box['h']} is past the image height {height}"
                )
            _check_label(box["label"], self.labels, f"{at}.label")
            out.append({key: box[key] for key in BOX_KEYS})
        return out

    def agreement_value(self, value: Any) -> Hashable:
        return tuple(
            sorted(
                (b["label"], round(b["x"]), round(b["y"]), round(b["w"]), round(b["h"]))
                for b in value
            )
        )

    def is_correct(self, value: Any, expected: Any) -> bool:
        if value is None or expected is None:
            return value is None and expected is None
        if len(value) != len(expected):
            return False
        edges = [
            [
                j
                for j, gold in enumerate(expected)
                if gold["label"] == box["label"] and iou(box, gold) >= self.iou_threshold
            ]
            for box in value
        ]
        return perfect_matching(edges, len(expected))
