"""Agreement on region fields (text spans, bounding boxes): mean pairwise F1 under IoU matching.

For two annotators A and B of one item, their regions are matched one to one (same label and
IoU >= 0.5, or the bbox field's ``iou_threshold``; `fields_common.match_regions` takes the most
pairs, then the largest total IoU), and

    F1(A, B) = 2 * matched / (|A| + |B|)          (1 when both marked nothing)

which is the F1 of B against A as reference and symmetric in A and B. The field's figure is the
mean over items with two or more answers of the mean F1 over the item's annotator pairs. F1
rather than a chance-corrected coefficient is the usual agreement measure for span and
detection annotation, where the set of regions *not* marked is unbounded (Hripcsak, G. &
Rothschild, A. S. (2005). Agreement, the F-measure, and reliability in information retrieval.
*JAMIA* 12(3), 296-298); the IoU >= 0.5 match is the PASCAL VOC criterion (Everingham et al.,
IJCV 2010).

``per_label[l]`` is the pooled F1 of label l: ``2 * sum matched_l / sum (|A_l| + |B_l|)`` over
all annotator pairs. Extras: for spans, ``exact_f1`` (the same mean of `span_f1` with exact
(start, end, label) matching) and ``character_alpha`` (`character_alpha`); for boxes,
``mean_iou`` of all matched pairs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np

from labelcrew.domain.quality.agreement.alpha import alpha_from_coincidences
from labelcrew.domain.quality.agreement.fields_common import (
    Rows,
    match_regions,
    mean_or_nan,
    region_threshold,
    regions_of,
)
from labelcrew.domain.quality.agreement.structured import span_f1


def region_agreement(field: Any, rows: Rows) -> tuple[float, dict[str, float], dict[str, float]]:
    """(mean pairwise F1, per-label pooled F1, extras) of a spans or bbox field."""
    kind, threshold = field.kind, region_threshold(field)
    f1_per_item: list[float] = []
    exact_per_item: list[float] = []
    matched_per_label: Counter[str] = Counter()
    marked_per_label: Counter[str] = Counter()
    ious: list[float] = []
    for answers in rows.values():
        if len(answers) < 2:
            continue
        values = [value for _, value in answers]
        regions = [regions_of(kind, value) for value in values]
        f1s, exact = [], []
        for (a, value_a), (b, value_b) in combinations(zip(regions, values, strict=True), 2):
            matches = match_regions(a, b, threshold)
            marked = len(a) + len(b)
            f1s.append(1.0 if marked == 0 else 2.0 * len(matches) / marked)
            marked_per_label.update(a.labels + b.labels)
            for i, _, iou in matches:
                matched_per_label[a.labels[i]] += 2
                ious.append(iou)
            if kind == "spans":
                exact.append(span_f1(value_a, value_b, "exact")["f1"])
        f1_per_item.append(float(np.mean(f1s)))
        if exact:
            exact_per_item.append(float(np.mean(exact)))
    per_label = {
        label: matched_per_label[label] / marked for label, marked in marked_per_label.items()
    }
    if kind == "spans":
        extra = {"exact_f1": mean_or_nan(exact_per_item), "character_alpha": character_alpha(rows)}
    else:
        extra = {"mean_iou": mean_or_nan(ious)}
    return mean_or_nan(f1_per_item), per_label, extra


def character_alpha(rows: Rows) -> float:
    """Nominal Krippendorff alpha with every character position of an item as a unit.

    The value an annotator gives position p is the label of their span covering p, or "none"
    (the set of labels, where overlapping spans of one annotator cover p). The text itself is
    not known here, so an item's units are positions ``0 .. L-1`` with L the furthest span end
    any of its annotators marked (trailing unmarked text would only add units everybody calls
    "none"); an item where nobody marked anything has no units. Only items with two or more
    annotators count. This is a character-level *nominal* alpha, not Krippendorff's unitizing
    alpha (u-alpha, Krippendorff 1995), which also weighs the lengths of the segments.

    Computed on segments between consecutive span boundaries, where every annotator's value is
    constant: a segment of length s adds ``s / (m - 1)`` to ``o[c_i, c_j]`` for every ordered
    pair of annotators (i, j), which is the coincidence matrix of the expanded data.
    """
    codes: dict[frozenset[str], int] = {frozenset(): 0}
    pair_c: list[np.ndarray[Any, Any]] = []
    pair_k: list[np.ndarray[Any, Any]] = []
    weights: list[np.ndarray[Any, Any]] = []
    for answers in rows.values():
        m = len(answers)
        if m < 2:
            continue
        spans = [value for _, value in answers]
        ends = [span["end"] for value in spans for span in value]
        if not ends:
            continue
        starts = [span["start"] for value in spans for span in value]
        bounds = np.unique(np.array([0, *starts, *ends], dtype=np.int64))
        lows, highs = bounds[:-1], bounds[1:]
        values = np.stack([_segment_codes(value, lows, highs, codes) for value in spans], axis=1)
        for i in range(m):
            for j in range(m):
                if i != j:
                    pair_c.append(values[:, i])
                    pair_k.append(values[:, j])
                    weights.append((highs - lows) / (m - 1.0))
    if not weights:
        return float("nan")
    n_values = len(codes)
    cells = np.concatenate(pair_c) * n_values + np.concatenate(pair_k)
    o = np.bincount(cells, weights=np.concatenate(weights), minlength=n_values * n_values)
    return alpha_from_coincidences(
        o.reshape(n_values, n_values).astype(np.float64), 1.0 - np.eye(n_values)
    )


def _segment_codes(
    value: Sequence[Mapping[str, Any]],
    lows: np.ndarray[Any, Any],
    highs: np.ndarray[Any, Any],
    codes: dict[frozenset[str], int],
) -> np.ndarray[Any, Any]:
    """The value code of every segment for one annotator (0 = no span covers it)."""
    out = np.zeros(len(lows), dtype=np.int64)
    if not value:
        return out
    starts = np.array([span["start"] for span in value])
    ends = np.array([span["end"] for span in value])
    # Segments never straddle a boundary, so a span either covers a segment or misses it.
    covers = (starts[None, :] <= lows[:, None]) & (ends[None, :] >= highs[:, None])
    labels: list[Hashable] = [span["label"] for span in value]
    span_codes = np.array([codes.setdefault(frozenset({str(x)}), len(codes)) for x in labels])
    covering = covers.sum(axis=1)
    single = covering == 1
    out[single] = span_codes[np.argmax(covers[single], axis=1)]
    for segment in np.flatnonzero(covering > 1):
        key = frozenset(str(labels[s]) for s in np.flatnonzero(covers[segment]))
        out[segment] = codes.setdefault(key, len(codes))
    return out
