"""A self-starting Bernoulli CUSUM chart on one member's gold answers, streaming and vectorised.

The chart is the one of :mod:`labelcrew.domain.quality.drift.cusum` (Page 1954; Reynolds & Stoumbos
1999) run on a stream of successes (gold answers that were right). It is the gold-only
reference; the drift scan runs :mod:`labelcrew.domain.quality.drift.member`, which adds the member's
agreement checks to the same kind of chart.

Baseline: given explicitly (``baseline_accuracy``), or self-starting (after Hawkins 1987): an
observation that arrives while the chart sits at zero carries no sign of a change, so it joins
the member's baseline counts, ``lag`` observations later (a change is usually caught before its
observations could leak in). The counts give a Beta-posterior success rate lowered by
``caution`` posterior standard deviations (:func:`estimate_baseline`); no alarm until ``warmup``
observations are counted.

Gold-only figures (tests/domain/quality/test_drift_chart.py, defaults): 0.66 false alarms per 10,000
gold answers for steady 0.9 members and 0.92 for steady 0.75 members; a drop 0.9 -> 0.7 after
300 answers is flagged after a median 39 gold answers (33 with the true baseline given).
Even with the baseline known the median is 33: the CUSUM is optimal for this problem in Lorden's
sense (Moustakides 1986), so gold answers alone cannot reach 30 at that false-alarm rate.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labelcrew.domain.quality.drift.alert import ACCURACY_DROP, Alert
from labelcrew.domain.quality.drift.cusum import (
    GRID,
    SCALE,
    CusumDesign,
    design_cusum,
    estimate_baseline,
)
from labelcrew.errors import ValidationFailed


@dataclass(frozen=True)
class DriftOptions:
    """How one chart is tuned (figures for these defaults: module docstring).

    ``shift``: drop in success rate to detect. ``target_arl0``: in-control ARL in observations
    (false alarms at most one per that many). ``warmup``: baseline observations before any
    alarm. ``lag``: how long an in-control observation waits before joining the baseline.
    ``prior_*`` and ``caution``: see :func:`estimate_baseline`. A fixed ``baseline_accuracy``
    replaces all the baseline tuning.
    """

    shift: float = 0.2
    target_arl0: float = 10_000.0
    warmup: int = 30
    lag: int = 50
    prior_accuracy: float = 0.85
    prior_strength: float = 10.0
    caution: float = 0.25

    def baseline(self, n_correct: ArrayLike, n: ArrayLike) -> NDArray[np.float64]:
        found = estimate_baseline(
            n_correct, n, self.prior_accuracy, self.prior_strength, self.caution
        )
        return np.clip(found, 0.05, 0.99)


class AccuracyDriftDetector:
    """Streaming Bernoulli CUSUM on one member's stream of successes.

    ``update(success, item_id)`` returns an :class:`Alert` on the observation that crosses the
    limit, then restarts the chart from zero (the baseline is kept). ``stream`` names the stream
    in the alert's details (``gold`` or ``consensus``).
    """

    def __init__(
        self,
        baseline_accuracy: float | None = None,
        options: DriftOptions | None = None,
        stream: str = "gold",
    ) -> None:
        self.options = options or DriftOptions()
        self.fixed_baseline = baseline_accuracy
        self.stream = stream
        self.position = -1
        self.statistic = 0  # on the lattice: failures * SCALE
        self.baseline_n = 0
        self.baseline_correct = 0
        self._pending: deque[tuple[bool, bool]] = deque()  # (in control, success), newest last
        self._run: list[tuple[int, Hashable, bool]] = []

    @property
    def ready(self) -> bool:
        return self.fixed_baseline is not None or self.baseline_n >= self.options.warmup

    def design(self) -> CusumDesign:
        """The chart in force for the next observation."""
        opts = self.options
        baseline = self.fixed_baseline
        if baseline is None:
            baseline = float(opts.baseline(self.baseline_correct, self.baseline_n))
        return design_cusum(baseline, opts.shift, opts.target_arl0)

    def update(self, correct: bool, item_id: Hashable | None = None) -> Alert | None:
        self.position += 1
        key = self.position if item_id is None else item_id
        self._pending.append((self.statistic == 0, bool(correct)))
        if len(self._pending) > self.options.lag:
            in_control, old = self._pending.popleft()
            self.baseline_n += in_control
            self.baseline_correct += in_control and old
        if not self.ready:
            return None
        design = self.design()
        self.statistic = max(0, self.statistic + (-design.down if correct else design.up))
        if self.statistic == 0:
            self._run = []
            return None
        self._run.append((self.position, key, bool(correct)))
        if self.statistic < design.limit:
            return None
        alert = _accuracy_alert(design, self._run, self.statistic, self.stream)
        self.statistic = 0
        self._run = []
        return alert


def _accuracy_alert(
    design: CusumDesign, run: list[tuple[int, Hashable, bool]], statistic: int, stream: str
) -> Alert:
    # The run since the chart last sat at zero is Page's estimate of where the change began.
    hits = [c for _, _, c in run]
    return Alert(
        kind=ACCURACY_DROP,
        start=run[0][0],
        end=run[-1][0],
        before_rate=design.baseline_accuracy,
        after_rate=float(np.mean(hits)),
        statistic=statistic / SCALE,
        threshold=design.threshold,
        item_ids=tuple(k for _, k, _ in run),
        details={
            "stream": stream,
            "n": len(run),
            "errors": len(run) - sum(hits),
            "reference": design.reference,
            "drift_accuracy": design.drift_accuracy,
            "arl0": design.arl0,
        },
    )


def detect_accuracy_drift(
    correct: ArrayLike,
    item_ids: Sequence[Hashable] | None = None,
    baseline_accuracy: float | None = None,
    options: DriftOptions | None = None,
) -> list[Alert]:
    """Every alarm over one member's whole gold stream (recomputation from stored answers)."""
    values = np.asarray(correct, dtype=bool)
    if item_ids is not None and len(item_ids) != values.size:
        raise ValidationFailed(
            f"item_ids has {len(item_ids)} entries for {values.size} answers",
            code="drift_ids_mismatch",
            field="item_ids",
        )
    detector = AccuracyDriftDetector(baseline_accuracy, options)
    alerts = []
    for i, hit in enumerate(values):
        alert = detector.update(bool(hit), None if item_ids is None else item_ids[i])
        if alert is not None:
            alerts.append(alert)
    return alerts


def cusum_alarms(
    correct: ArrayLike,
    baseline_accuracy: ArrayLike | None = None,
    options: DriftOptions | None = None,
) -> NDArray[np.bool_]:
    """Alarm positions of many members at once: ``correct`` is (members, observations).

    The same chart, baseline and restart rule as :class:`AccuracyDriftDetector`, vectorised over
    members so a whole team can be rescanned (or simulated) in one pass over time.
    """
    opts = options or DriftOptions()
    values = np.atleast_2d(np.asarray(correct, dtype=bool))
    members, length = values.shape
    fixed = None
    if baseline_accuracy is not None:
        fixed = np.broadcast_to(np.asarray(baseline_accuracy, float), (members,))
    alarms = np.zeros_like(values)
    statistic = np.zeros(members, dtype=np.int64)
    base_n = np.zeros(members, dtype=np.int64)
    base_k = np.zeros(members, dtype=np.int64)
    in_control = np.zeros_like(values)
    table = np.full((3, GRID), -1, dtype=np.int64)  # up, down, limit by baseline grid step
    for t in range(length):
        in_control[:, t] = statistic == 0
        if t >= opts.lag:
            old = t - opts.lag
            base_n += in_control[:, old]
            base_k += in_control[:, old] & values[:, old]
        ready = base_n >= opts.warmup if fixed is None else np.ones(members, dtype=bool)
        if not ready.any():
            continue
        baseline = fixed if fixed is not None else opts.baseline(base_k, base_n)
        steps = np.clip(np.floor(baseline * GRID + 1e-9).astype(np.int64), 5, GRID - 1)
        missing = table[2, steps] < 0
        if missing.any():  # design each baseline once, on first sight
            for step in np.unique(steps[missing]):
                found = design_cusum(step / GRID, opts.shift, opts.target_arl0)
                table[:, step] = (found.up, found.down, found.limit)
        up, down, limit = table[:, steps]
        moved = np.maximum(0, statistic + np.where(values[:, t], -down, up))
        statistic = np.where(ready, moved, statistic)
        hit = statistic >= limit
        alarms[:, t] = hit
        statistic[hit] = 0
    return alarms
