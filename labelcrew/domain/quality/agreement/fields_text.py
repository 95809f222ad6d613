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

    Myers' bit-vector algorithm (Myers, G. (1999). A fast bit-vector algorithm for approximate
    string matching based on dynamic programming. *J. ACM* 46(3), 395-415), in the form for the
    full edit distance of Hyyrö, H. (2001), *Explaining and extending the bit-parallel
    approximate string matching algorithm of Myers*: one column of the Wagner-Fischer table is
    held as bit vectors of its vertical +1/-1 steps, and each character of ``a`` updates it in
    a dozen integer operations on ``len(b)``-bit numbers (Python integers have no width limit).
    """
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    full = (1 << len(b)) - 1
    last = 1 << (len(b) - 1)
    peq: dict[str, int] = {}
    for i, char in enumerate(b):
        peq[char] = peq.get(char, 0) | (1 << i)
    plus, minus, score = full, 0, len(b)
    for char in a:
        eq = peq.get(char, 0)
        xv = eq | minus
        xh = (((eq & plus) + plus) ^ plus) | eq
        h_plus = minus | ~(xh | plus)
        h_minus = plus & xh
        if h_plus & last:
            score += 1
        elif h_minus & last:
            score -= 1
        h_plus = (h_plus << 1) | 1
        h_minus <<= 1
        plus = (h_minus | ~(xv | h_plus)) & full
        minus = h_plus & xv & full
    return score


def text_similarity(a: Any, b: Any) -> float:
    """``1 - lev / max(len)`` of the normalised texts; 1.0 when both are empty."""
    return _similarity(normalise_text(a), normalise_text(b))


def _similarity(left: str, right: str) -> float:
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
        similarity.append(float(np.mean([_similarity(a, b) for a, b in pairs])))
        exact.append(float(np.mean([a == b for a, b in pairs])))
    return mean_or_nan(similarity), {}, {"exact_agreement": mean_or_nan(exact)}
