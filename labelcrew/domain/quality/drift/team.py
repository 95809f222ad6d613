"""The member drift chart of :mod:`labelcrew.domain.quality.drift.member`, vectorised over members.

Same plan, baselines, lag, warm-up, designs and restart rule as
:class:`~labelcrew.domain.quality.drift.member.MemberDriftDetector`, one pass over time for a whole
team: for rescans of many members and for simulation (``labelcrew bench drift``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labelcrew.domain.quality.drift.llr import GRID
from labelcrew.domain.quality.drift.member import KINDS, ChartPlan


class _Designs:
    """Designs by baseline grid steps, as arrays a vectorised chart can index."""

    def __init__(self, plan: ChartPlan) -> None:
        self.plan = plan
        self.index: dict[tuple[int, ...], int] = {}
        self.up = np.zeros((0, len(KINDS)), dtype=np.int64)
        self.down = np.zeros((0, len(KINDS)), dtype=np.int64)
        self.limit = np.zeros(0, dtype=np.int64)

    def rows(self, baselines: NDArray[np.float64]) -> NDArray[np.int64]:
        """Row of the design for each member's baselines (floored to the grid as
        :func:`design_llr_cusum` does)."""
        steps = np.clip(np.floor(baselines * GRID + 1e-9), 5, GRID - 1).astype(np.int64)
        keys = [tuple(int(x) for x in row) for row in steps]
        new = [k for k in dict.fromkeys(keys) if k not in self.index]
        if new:
            found = [self.plan.design([x / GRID for x in k]) for k in new]
            for k in new:
                self.index[k] = len(self.index)
            self.up = np.vstack([self.up, [f.up for f in found]])
            self.down = np.vstack([self.down, [f.down for f in found]])
            self.limit = np.concatenate([self.limit, [f.limit for f in found]])
        return np.array([self.index[k] for k in keys], dtype=np.int64)


def _packed(
    code: NDArray[np.int64], hit: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.bool_], list[NDArray[np.int64]]]:
    """Each member's observations moved to the front (padding -1 behind), with their columns."""
    columns = [np.flatnonzero(row >= 0) for row in code]
    width = max((c.size for c in columns), default=0)
    packed_code = np.full((code.shape[0], width), -1, dtype=np.int64)
    packed_hit = np.ones((code.shape[0], width), dtype=bool)
    for m, cols in enumerate(columns):
        packed_code[m, : cols.size] = code[m, cols]
        packed_hit[m, : cols.size] = hit[m, cols]
    return packed_code, packed_hit, columns


def member_alarms(kinds: ArrayLike, success: ArrayLike, plan: ChartPlan) -> NDArray[np.bool_]:
    """Alarm positions of many members at once, the same chart as
    :class:`MemberDriftDetector`: ``kinds`` (members, observations) holds kind codes (0 gold,
    1 pair, 2 consensus) or -1 where a member has no observation; kinds the plan has no rate
    for are skipped, as the streaming detector skips them."""
    code = np.atleast_2d(np.asarray(kinds, dtype=np.int64))
    hit = np.atleast_2d(np.asarray(success, dtype=bool))
    rates = np.array(plan.per_gold)
    code = np.where((code >= 0) & (rates[np.maximum(code, 0)] > 0), code, -1)
    packed, packed_hit, columns = _packed(code, hit)
    members, length = packed.shape
    designs = _Designs(plan)
    fired_at = np.zeros((members, length), dtype=bool)
    statistic = np.zeros(members, dtype=np.int64)
    base_n = np.zeros((members, len(KINDS)), dtype=np.int64)
    base_k = np.zeros((members, len(KINDS)), dtype=np.int64)
    in_control = np.zeros((members, length), dtype=bool)
    current = designs.rows(plan.baselines(base_k, base_n))
    for t in range(length):
        real = packed[:, t] >= 0
        in_control[:, t] = statistic == 0
        if t >= plan.lag:  # the observation `lag` back joins the baseline if it was in control
            old = t - plan.lag
            joins = np.flatnonzero(real & in_control[:, old])
            if joins.size:
                base_n[joins, packed[joins, old]] += 1
                base_k[joins, packed[joins, old]] += packed_hit[joins, old]
                current[joins] = designs.rows(plan.baselines(base_k[joins], base_n[joins]))
        live = np.flatnonzero(real & (base_n.sum(axis=1) >= plan.warmup))
        if not live.size:
            continue
        d, j = current[live], packed[live, t]
        step = np.where(packed_hit[live, t], -designs.down[d, j], designs.up[d, j])
        moved = np.maximum(0, statistic[live] + step)
        fired = moved >= designs.limit[d]
        statistic[live] = np.where(fired, 0, moved)
        fired_at[live[fired], t] = True
    alarms = np.zeros(code.shape, dtype=bool)
    for m, cols in enumerate(columns):
        alarms[m, cols] = fired_at[m, : cols.size]
    return alarms
