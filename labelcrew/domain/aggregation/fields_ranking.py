"""Consensus of a ranking field on one item: the Borda count."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labelcrew.domain.quality.agreement.fields import pair_signs, rank_positions


def borda_consensus(
    field: Any, values: Sequence[Any]
) -> tuple[list[Any], float, bool, dict[str, Any]]:
    """Borda count (de Borda, J.-C. (1781). Mémoire sur les élections au scrutin).

    A candidate scores 1 for every candidate an annotator ranked below it and 1/2 for every
    other candidate tied with it (``n - 1 - position`` without ties); the consensus orders the
    candidates by total score, equal totals by candidate index, or as one tied group where the
    field allows ties. Confidence: the mean over annotators of the share of the n(n-1)/2
    candidate pairs whose order (or tie) they give as the consensus does. ``tied``: two
    candidates have equal totals although some annotator ordered them.
    """
    positions = np.stack([rank_positions(field, v) for v in values])
    below = (positions[:, None, :] > positions[:, :, None]).sum(axis=2)
    level = (positions[:, None, :] == positions[:, :, None]).sum(axis=2) - 1
    scores = (below + level / 2.0).sum(axis=0)
    order = sorted(range(field.candidates), key=lambda c: (-scores[c], c))
    if field.allow_ties:
        groups: list[list[int]] = []
        for c in order:
            if groups and scores[groups[-1][0]] == scores[c]:
                groups[-1].append(c)
            else:
                groups.append([c])
        value: list[Any] = [sorted(group) for group in groups]
    else:
        value = order
    signs = pair_signs(positions)
    consensus = pair_signs(rank_positions(field, value)[None, :])
    first, second = np.triu_indices(field.candidates, k=1)
    level_pairs = scores[first] == scores[second]
    confidence = float((signs == consensus).mean(axis=1).mean())
    tied = bool((level_pairs & (signs != 0).any(axis=0)).any())
    return value, confidence, tied, {"borda": [float(x) for x in scores]}
