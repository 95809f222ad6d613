"""Label-distribution shift: a member's labels in a window against the rest of the team's.

The chi-square test of homogeneity on the 2 x K table (Pearson 1900) gives the p-value, and the
Jensen-Shannon divergence (Lin 1991, base 2, in [0, 1]) gives the size of the shift.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from labelcrew.domain.quality.drift.alert import LABEL_SHIFT, Alert
from labelcrew.errors import ValidationFailed


@dataclass(frozen=True)
class LabelShiftTest:
    """Member vs team label distributions in one window."""

    n_member: int
    n_team: int
    member_distribution: tuple[float, ...]
    team_distribution: tuple[float, ...]
    js_divergence: float
    chi2: float
    dof: int
    p_value: float


def js_divergence(p: ArrayLike, q: ArrayLike) -> float:
    """Jensen-Shannon divergence in bits: ``H((p+q)/2) - (H(p) + H(q)) / 2`` (Lin 1991)."""
    p_arr = np.asarray(p, float) / np.sum(p)
    q_arr = np.asarray(q, float) / np.sum(q)
    mix = (p_arr + q_arr) / 2

    def entropy(d: NDArray[np.float64]) -> float:
        d = d[d > 0]
        return float(-(d * np.log2(d)).sum())

    return max(0.0, entropy(mix) - (entropy(p_arr) + entropy(q_arr)) / 2)


def label_shift(
    member_labels: ArrayLike,
    team_labels: ArrayLike,
    n_classes: int,
    *,
    alpha: float = 1e-3,
    min_samples: int = 30,
    start: int = 0,
    item_ids: Sequence[Hashable] | None = None,
) -> tuple[LabelShiftTest, Alert | None]:
    """Test the member's labels (class indices) against the rest of the team's in a window.

    ``team_labels`` should exclude the member's own. Pearson's chi-square test of homogeneity on
    the 2 x K count table (classes nobody used are dropped, dof = K_used - 1). An alert needs at
    least ``min_samples`` member labels and ``p_value < alpha``; its ``before_rate`` /
    ``after_rate`` are the team's / member's share of the label that moved most.
    """
    member = np.asarray(member_labels, dtype=np.int64)
    team = np.asarray(team_labels, dtype=np.int64)
    for name, labels in (("member_labels", member), ("team_labels", team)):
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValidationFailed(
                f"{name} holds a class outside 0..{n_classes - 1}",
                code="drift_bad_label",
                field=name,
            )
    table = np.stack(
        [np.bincount(member, minlength=n_classes), np.bincount(team, minlength=n_classes)]
    ).astype(float)
    used = table.sum(axis=0) > 0
    chi2, dof, p_value = 0.0, int(used.sum()) - 1, 1.0
    if member.size and team.size and dof > 0:
        observed = table[:, used]
        expected = observed.sum(1, keepdims=True) * observed.sum(0) / observed.sum()
        chi2 = float(((observed - expected) ** 2 / expected).sum())
        p_value = float(stats.chi2.sf(chi2, dof))
    member_dist = table[0] / max(member.size, 1)
    team_dist = table[1] / max(team.size, 1)
    jsd = js_divergence(table[0], table[1]) if member.size and team.size else 0.0
    test = LabelShiftTest(
        member.size,
        team.size,
        tuple(member_dist.tolist()),
        tuple(team_dist.tolist()),
        jsd,
        chi2,
        dof,
        p_value,
    )
    if member.size < min_samples or p_value >= alpha:
        return test, None
    moved = int(np.argmax(np.abs(member_dist - team_dist)))
    ids = tuple(item_ids) if item_ids is not None else tuple(range(start, start + member.size))
    alert = Alert(
        kind=LABEL_SHIFT,
        start=start,
        end=start + member.size - 1,
        before_rate=float(team_dist[moved]),
        after_rate=float(member_dist[moved]),
        statistic=chi2,
        threshold=float(stats.chi2.isf(alpha, dof)),
        item_ids=ids,
        details={"label": moved, "p_value": p_value, "alpha": alpha, "js_divergence": jsd},
    )
    return test, alert
