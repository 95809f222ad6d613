"""Pieces shared by the per-field agreement and consensus kernels.

- `FieldAgreement`, the result of `fields.field_agreement`;
- `group_rows`: long-format (item, rater, value) rows grouped by item, absent values dropped;
- regions (text spans, boxes) as interval arrays, their IoU and a one-to-one matching.

A span ``[start, end)`` is a 1-d interval and a box ``{x, y, w, h}`` the 2-d interval
``[x, x + w) x [y, y + h)``, so one IoU serves both: intersection volume over union volume
(for spans: shared characters over characters in either span).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import numpy as np

from labelcrew.domain.quality.agreement.data import FloatArray
from labelcrew.errors import ValidationFailed

# Spans match when they share a label and IoU >= 0.5 (the PASCAL VOC criterion, Everingham et
# al., IJCV 2010, applied to character intervals); boxes use their field's `iou_threshold`,
# 0.5 by default.
SPAN_IOU_THRESHOLD = 0.5
REGION_KINDS = ("spans", "bbox")

Rows = dict[Hashable, list[tuple[Hashable, Any]]]


@dataclass(frozen=True, slots=True)
class FieldAgreement:
    """Agreement on one field of a label schema (see `fields.field_agreement`).

    ``value`` is None when the measure is not computable (no item with two ratings, or no
    variation at all for a chance-corrected measure). ``n_items`` and ``n_ratings`` count the
    items with two or more ratings and the ratings on them. ``per_label`` and ``extra`` hold only
    defined figures: an undefined one is left out rather than stored as NaN.
    """

    field: str
    kind: str
    measure: str
    value: float | None
    n_items: int
    n_ratings: int
    per_label: dict[str, float] = dataclass_field(default_factory=dict)
    extra: dict[str, float] = dataclass_field(default_factory=dict)


def group_rows(
    item: Sequence[Hashable],
    rater: Sequence[Hashable],
    value: Sequence[Any],
    *,
    duplicate_code: str = "agreement_duplicate_rating",
) -> Rows:
    """``{item: [(rater, value), ...]}`` in row order; rows whose value is None are absent.

    A rater answering one item twice raises ValidationFailed: every pairwise measure compares
    annotators, and a repeated answer would count as a second annotator agreeing.
    """
    if not len(item) == len(rater) == len(value):
        raise ValidationFailed(
            f"item, rater and value differ in length: {len(item)}, {len(rater)}, {len(value)}",
            code="agreement_length_mismatch",
            field="value",
        )
    rows: Rows = {}
    seen: set[tuple[Hashable, Hashable]] = set()
    for unit, who, answer in zip(item, rater, value, strict=True):
        if answer is None:
            continue
        if (unit, who) in seen:
            raise ValidationFailed(
                f"rater {who!r} answered item {unit!r} more than once",
                code=duplicate_code,
                field="rater",
            )
        seen.add((unit, who))
        rows.setdefault(unit, []).append((who, answer))
    return rows


def mean_or_nan(values: Sequence[float]) -> float:
    """The mean of the defined (non-NaN) values; NaN when there is none."""
    defined = [v for v in values if not np.isnan(v)]
    return float(np.mean(defined)) if defined else float("nan")


@dataclass(frozen=True, slots=True)
class Regions:
    """Regions as intervals: ``lows[i]`` and ``highs[i]`` are the d corners of region i."""

    lows: FloatArray
    highs: FloatArray
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)


def regions_of(kind: str, value: Sequence[Mapping[str, Any]]) -> Regions:
    """A spans value (d = 1) or a bbox value (d = 2) as `Regions`."""
    if kind == "spans":
        lows = [[span["start"]] for span in value]
        highs = [[span["end"]] for span in value]
    else:
        lows = [[box["x"], box["y"]] for box in value]
        highs = [[box["x"] + box["w"], box["y"] + box["h"]] for box in value]
    d = 1 if kind == "spans" else 2
    return Regions(
        np.array(lows, dtype=np.float64).reshape(-1, d),
        np.array(highs, dtype=np.float64).reshape(-1, d),
        tuple(region["label"] for region in value),
    )


def iou_matrix(a: Regions, b: Regions) -> FloatArray:
    """``iou[i, j]`` = |a_i ∩ b_j| / |a_i ∪ b_j| (length for spans, area for boxes)."""
    low = np.maximum(a.lows[:, None, :], b.lows[None, :, :])
    high = np.minimum(a.highs[:, None, :], b.highs[None, :, :])
    inter = np.clip(high - low, 0.0, None).prod(axis=2)
    size_a = (a.highs - a.lows).prod(axis=1)
    size_b = (b.highs - b.lows).prod(axis=1)
    union = size_a[:, None] + size_b[None, :] - inter
    iou: FloatArray = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return iou


def same_label(a: Regions, b: Regions) -> np.ndarray[Any, np.dtype[np.bool_]]:
    same: np.ndarray[Any, np.dtype[np.bool_]] = (
        np.array(a.labels, dtype=object)[:, None] == np.array(b.labels, dtype=object)[None, :]
    )
    return same


def match_regions(a: Regions, b: Regions, threshold: float) -> list[tuple[int, int, float]]:
    """A one-to-one matching of a's regions to b's: same label and IoU >= threshold.

    Returns ``(i, j, iou)`` triples. The matching has the most pairs possible and, among
    those, the largest total IoU (the assignment problem solved by
    `scipy.optimize.linear_sum_assignment` with weight ``1 + min(|a|, |b|) + iou`` on allowed
    pairs: one more pair always outweighs any IoU gain).
    """
    if not len(a) or not len(b):
        return []
    from scipy.optimize import linear_sum_assignment

    iou = iou_matrix(a, b)
    allowed = same_label(a, b) & (iou >= threshold)
    if not allowed.any():
        return []
    weight = np.where(allowed, 1.0 + min(len(a), len(b)) + iou, 0.0)
    rows, columns = linear_sum_assignment(weight, maximize=True)
    return [
        (int(i), int(j), float(iou[i, j]))
        for i, j in zip(rows, columns, strict=True)
        if allowed[i, j]
    ]


def region_threshold(field: Any) -> float:
    """The IoU a match needs on a spans or bbox field."""
    return float(getattr(field, "iou_threshold", SPAN_IOU_THRESHOLD))
