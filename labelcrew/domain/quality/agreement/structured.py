"""Agreement on structured labels: text spans (NER) and rankings.

Spans are dicts ``{"start": int, "end": int, "label": str}`` with character offsets, ``end``
exclusive. Rankings are compared with Kendall's tau-b.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from labelcrew.errors import ValidationFailed

SpanMatch = Literal["exact", "overlap"]
Span = Mapping[str, Any]


def _checked(spans: Sequence[Span], field: str) -> list[tuple[int, int, Any]]:
    checked = []
    for index, span in enumerate(spans):
        try:
            start, end, label = span["start"], span["end"], span["label"]
        except (KeyError, TypeError):
            raise ValidationFailed(
                f"{field}[{index}] must be a dict with start, end and label",
                code="agreement_bad_span",
                field=f"{field}[{index}]",
            ) from None
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            raise ValidationFailed(
                f"{field}[{index}] needs integer offsets with 0 <= start < end, got {start}, {end}",
                code="agreement_bad_span",
                field=f"{field}[{index}]",
            )
        checked.append((start, end, label))
    return checked


def span_f1(
    spans_a: Sequence[Span], spans_b: Sequence[Span], match: SpanMatch = "exact"
) -> dict[str, float]:
    """Pairwise span F1 between two annotators, treating A as reference and B as prediction.

    F1 between annotators is the standard agreement measure for span annotation, where
    chance-corrected kappa is ill-defined because the set of non-spans is unbounded
    (Hripcsak, G. & Rothschild, A. S. (2005). Agreement, the F-measure, and reliability in
    information retrieval. *JAMIA* 12(3), 296-298). Spans must carry the same label to match.

    - ``exact``: a span matches an identical (start, end, label) span of the other side,
      one-to-one (multiset intersection), so ``P = matched / |B|``, ``R = matched / |A|``.
    - ``overlap`` (lenient): a span of B counts as correct when it overlaps
      (``a.start < b.end and b.start < a.end``) some span of A with the same label, and a span
      of A counts as found when some span of B overlaps it; ``P`` and ``R`` are those shares.

    ``F1 = 2 P R / (P + R)``, symmetric in A and B. Both lists empty means full agreement
    (all values 1.0); one list empty and the other not gives 0.0.
    """
    a = _checked(spans_a, "spans_a")
    b = _checked(spans_b, "spans_b")
    if not a and not b:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    if not a or not b:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    if match == "exact":
        matched = sum((Counter(a) & Counter(b)).values())
        precision, recall = matched / len(b), matched / len(a)
    elif match == "overlap":
        overlaps = _overlap_matrix(a, b)
        precision = float(overlaps.any(axis=0).mean())
        recall = float(overlaps.any(axis=1).mean())
    else:
        raise ValidationFailed(
            f"match must be 'exact' or 'overlap', got {match!r}",
            code="agreement_bad_match",
            field="match",
        )
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1)}


def _overlap_matrix(
    a: list[tuple[int, int, Any]], b: list[tuple[int, int, Any]]
) -> npt.NDArray[np.bool_]:
    """``overlaps[i, j]``: span i of A and span j of B share a character and a label."""
    starts_a, ends_a = np.array([s[0] for s in a]), np.array([s[1] for s in a])
    starts_b, ends_b = np.array([s[0] for s in b]), np.array([s[1] for s in b])
    labels = {label: code for code, label in enumerate({s[2] for s in a + b})}
    labels_a = np.array([labels[s[2]] for s in a])
    labels_b = np.array([labels[s[2]] for s in b])
    overlaps: npt.NDArray[np.bool_] = (
        (starts_a[:, None] < ends_b[None, :])
        & (starts_b[None, :] < ends_a[:, None])
        & (labels_a[:, None] == labels_b[None, :])
    )
    return overlaps


def kendall_tau(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Kendall's tau-b between two rankings (ranks or scores of the same items, aligned).

    Kendall, M. G. (1945). The treatment of ties in ranking problems. *Biometrika* 33(3),
    239-251. With ``S = sum_{i<j} sign(x_i - x_j) sign(y_i - y_j)``, ``n0 = n(n-1)/2`` and
    ``n1``, ``n2`` the numbers of tied pairs in x and in y:

        tau_b = S / sqrt((n0 - n1) (n0 - n2))

    (the value `scipy.stats.kendalltau` reports by default). NaN with fewer than two items or
    when either ranking is all ties. ``O(n^2)`` time over row blocks, memory ``O(n)`` per
    block; rankings in labeling tasks are short.
    """
    xs = np.asarray(x, dtype=np.float64).ravel()
    ys = np.asarray(y, dtype=np.float64).ravel()
    if xs.size != ys.size:
        raise ValidationFailed(
            f"rankings differ in length: {xs.size} and {ys.size}",
            code="agreement_length_mismatch",
            field="y",
        )
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise ValidationFailed("rankings must be finite", code="agreement_not_finite", field="x")
    n = xs.size
    if n < 2:
        return float("nan")
    s = 0.0
    block = max(1, (1 << 20) // n)
    for start in range(0, n, block):
        dx = np.sign(xs[start : start + block, None] - xs[None, :])
        dy = np.sign(ys[start : start + block, None] - ys[None, :])
        s += float(np.einsum("ij,ij->", dx, dy))
    s /= 2.0  # every unordered pair was counted twice (i, j) and (j, i)
    n0 = n * (n - 1) / 2.0
    n1 = _tied_pairs(xs)
    n2 = _tied_pairs(ys)
    denominator = (n0 - n1) * (n0 - n2)
    return float("nan") if denominator <= 0 else float(s / np.sqrt(denominator))


def _tied_pairs(values: npt.NDArray[np.float64]) -> float:
    _, counts = np.unique(values, return_counts=True)
    return float((counts * (counts - 1) / 2.0).sum())


def ranking_tau(order_a: Sequence[Hashable], order_b: Sequence[Hashable]) -> float:
    """Kendall's tau-b between two ordered lists of item ids (best first), on shared items.

    Items that only one list contains are left out; a repeated id raises ValidationFailed.
    """
    for name, order in (("order_a", order_a), ("order_b", order_b)):
        if len(set(order)) != len(order):
            raise ValidationFailed(
                f"{name} lists an item twice", code="agreement_bad_ranking", field=name
            )
    position_b = {item: rank for rank, item in enumerate(order_b)}
    shared = [item for item in order_a if item in position_b]
    return kendall_tau(np.arange(len(shared)), [position_b[item] for item in shared])
