"""Consensus of region fields (text spans, bounding boxes) of one item.

1. **Match.** Regions of different annotators are linked when they have the same label and
   IoU >= 0.5 (spans: on character intervals; boxes: the field's ``iou_threshold``, 0.5 by
   default). Links are taken greedily from the highest IoU down (ties by position in the
   answers), and two clusters merge only when no annotator has a region in both, so a cluster
   holds at most one region per annotator (single-linkage agglomeration under that
   constraint). Regions nobody else matched stay clusters of one.
2. **Vote.** With n the number of the item's annotators (those who marked nothing included), a
   cluster is kept when more than half of them marked it: ``count > n / 2``.
3. **Place.** A kept region is the median of its members' coordinates: spans take the median
   start and end, each rounded half up (``floor(x + 1/2)``; since every end exceeds its start,
   the median end exceeds the median start); boxes take the median x, y, w and h.

Each kept region's confidence is ``count / n`` (its detail also gives ``min_iou``, the lowest
IoU of a member with the consensus region, for how much the marked extents differ); a dropped cluster leaves ``1 - count / n`` of
certainty that it is not there. The field's confidence is the minimum of both over all clusters,
so one disputed region lowers it; when nobody marked anything the value is ``[]`` with
confidence 1. ``tied``: some cluster was marked by exactly half of the annotators (it is
dropped). Consensus spans are not re-checked for overlap: two kept spans of different labels
may overlap even on a field that forbids it in an annotator's answer.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from labelcrew.domain.quality.agreement.fields_common import (
    iou_matrix,
    region_threshold,
    regions_of,
    same_label,
)

RegionConsensus = tuple[list[dict[str, Any]], float, bool, dict[str, Any]]


def region_consensus(field: Any, answers: Sequence[tuple[Hashable, Any]]) -> RegionConsensus:
    """``(value, confidence, tied, detail)`` of one item's (worker, regions) answers."""
    n = len(answers)
    flat = [(a, region) for a, (_, value) in enumerate(answers) for region in value]
    if not flat:
        return [], 1.0, False, {"annotators": n, "regions": [], "dropped": []}
    owner = np.array([a for a, _ in flat])
    clusters = _clusters(field, [region for _, region in flat], owner)
    kept: list[tuple[dict[str, Any], dict[str, Any]]] = []
    dropped: list[dict[str, Any]] = []
    for members in clusters:
        region = median_region(field.kind, [flat[k][1] for k in members])
        who = [answers[int(owner[k])][0] for k in sorted(members, key=lambda k: owner[k])]
        count = len(members)
        if 2 * count > n:
            spread = iou_matrix(
                regions_of(field.kind, [region]),
                regions_of(field.kind, [flat[k][1] for k in members]),
            )
            info = {"count": count, "annotators": who, "confidence": count / n}
            kept.append((region, {**info, "min_iou": float(spread.min())}))
        else:
            dropped.append(
                {"region": region, "count": count, "annotators": who, "share": count / n}
            )
    kept.sort(key=lambda pair: _order(field.kind, pair[0]))
    confidence = min(
        [info["confidence"] for _, info in kept] + [1.0 - info["share"] for info in dropped]
    )
    tied = any(2 * len(members) == n for members in clusters)
    detail = {"annotators": n, "regions": [info for _, info in kept], "dropped": dropped}
    return [region for region, _ in kept], float(confidence), tied, detail


def _clusters(
    field: Any, regions: list[Mapping[str, Any]], owner: np.ndarray[Any, Any]
) -> list[list[int]]:
    """Greedy single-linkage clusters with at most one region per annotator (module doc)."""
    boxes = regions_of(field.kind, regions)
    iou = iou_matrix(boxes, boxes)
    allowed = same_label(boxes, boxes) & (iou >= region_threshold(field))
    allowed &= owner[:, None] != owner[None, :]
    first, second = np.nonzero(np.triu(allowed, k=1))
    order = np.lexsort((second, first, -iou[first, second]))
    root = list(range(len(regions)))
    annotators: dict[int, set[int]] = {k: {int(owner[k])} for k in range(len(regions))}

    def find(k: int) -> int:
        while root[k] != k:
            root[k] = root[root[k]]
            k = root[k]
        return k

    for link in order:
        a, b = find(int(first[link])), find(int(second[link]))
        if a != b and annotators[a].isdisjoint(annotators[b]):
            root[b] = a
            annotators[a] |= annotators.pop(b)
    groups: dict[int, list[int]] = {}
    for k in range(len(regions)):
        groups.setdefault(find(k), []).append(k)
    return list(groups.values())


def median_region(kind: str, members: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The median of the members' coordinates (module doc, step 3); they share one label."""
    label = members[0]["label"]
    if len(members) == 1:
        keys = ("start", "end") if kind == "spans" else ("x", "y", "w", "h")
        return {**{key: members[0][key] for key in keys}, "label": label}
    if kind == "spans":
        start = math.floor(statistics.median([m["start"] for m in members]) + 0.5)
        end = math.floor(statistics.median([m["end"] for m in members]) + 0.5)
        return {"start": start, "end": end, "label": label}
    box: dict[str, Any] = {key: _median([m[key] for m in members]) for key in ("x", "y", "w", "h")}
    box["label"] = label
    return box


def _median(values: Sequence[Any]) -> float | int:
    """The median; an int when the values are ints and it is whole."""
    middle = float(statistics.median(values))
    integral = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    return int(middle) if integral and middle.is_integer() else middle


def _order(kind: str, region: Mapping[str, Any]) -> tuple[Any, ...]:
    if kind == "spans":
        return (region["start"], region["end"], region["label"])
    return (region["label"], region["x"], region["y"], region["w"], region["h"])
