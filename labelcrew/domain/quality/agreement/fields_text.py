"""Agreement on free-text fields: mean pairwise normalised Levenshtein similarity.

Free text is *reported, never voted*: there is no consensus value for a text field (see
`labelcrew.domain.aggregation.fields`), only this figure of how alike the answers are.

Both texts are normalised first (`normalise_text`: surrounding whitespace stripped, inner runs
of whitespace collapsed to one space, case folded), then

    similarity(a, b) = 1 - lev(a, b) / max(|a|, |b|)      (1 when both are empty)

with ``lev`` the Levenshtein edit distance (insertions, deletions and substitutions of one
character each cost 1: Levenshtein, V. I. (1966). Binary codes capable of correcting deletions,
insertions, and reversals. *Soviet Physics Doklady* 10(8), 707-710), and the field's figure is
the mean over items with two or more answers of the mean similarity over the item's pairs of
answers (each item weighs the same, as in percent agreement). Not chance-corrected.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

from labelcrew.domain.quality.agreement.fields_common import Rows, mean_or_nan


def normalise_text(text: Any) -> str:
    """Whitespace-collapsed, stripped, case-folded text."""
    return " ".join(str(text).split()).casefold()


def levenshtein(a: str, b: str) -> int:
    """The Levenshtein distance between two strings.

    Wagner-Fischer dynamic programming, one NumPy row per character of the shorter string:
    with ``t[j] = min(prev[j] + 1, prev[j - 1] + [a_i != b_j])`` (deletion, substitution), the
    insertion chain ``cur[j] = min(t[j], cur[j - 1] + 1)`` is ``j + cummin(t[k] - k)``, so a row
    is a few vector operations. O(|a| |b|) time, O(max(|a|, |b|)) memory.
    """
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    a, b = a[start:], b[start:]
    end = 0
    while end < min(len(a), len(b)) and a[-1 - end] == b[-1 - end]:
        end += 1
    if end:
        a, b = a[:-end], b[:-end]
    if len(a) > len(b):
        a, b = b, a
    if not a:
        return len(b)
    columns = np.array([ord(c) for c in b], dtype=np.int64)
    offsets = np.arange(len(b) + 1, dtype=np.int64)
    previous = offsets.copy()
    current = np.empty_like(previous)
    for i, char in enumerate(a, start=1):
        current[0] = i
        np.minimum(previous[1:] + 1, previous[:-1] + (columns != ord(char)), out=current[1:])
        previous = np.minimum.accumulate(current - offsets) + offsets
    return int(previous[-1])


def text_similarity(a: Any, b: Any) -> float:
    """``1 - lev / max(len)`` of the normalised texts; 1.0 when both are empty."""
    left, right = normalise_text(a), normalise_text(b)
    longest = max(len(left), len(right))
    return 1.0 if longest == 0 else 1.0 - levenshtein(left, right) / longest


def text_agreement(rows: Rows) -> tuple[float, dict[str, float], dict[str, float]]:
    """(mean pairwise similarity, {}, {"exact_agreement": share of identical normalised pairs})."""
    similarity, exact = [], []
    for answers in rows.values():
        if len(answers) < 2:
            continue
        texts = [normalise_text(value) for _, value in answers]
        pairs = list(combinations(texts, 2))
        similarity.append(float(np.mean([text_similarity(a, b) for a, b in pairs])))
        exact.append(float(np.mean([a == b for a, b in pairs])))
    return mean_or_nan(similarity), {}, {"exact_agreement": mean_or_nan(exact)}
