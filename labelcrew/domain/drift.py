"""Drift per member: a sequential test on gold correctness, and label-distribution shift.

Accuracy drift
--------------
Each gold answer is a Bernoulli trial; ``X_t = 1`` when the member got it *wrong*. While the
member is in control the error rate is their own baseline ``p0``; we want to notice when it
rises to ``p1 = p0 + shift`` (default shift 0.2: accuracy 0.9 -> 0.7). The Bernoulli CUSUM of
Reynolds & Stoumbos (1999), "A CUSUM chart for monitoring a proportion when inspecting
continuously", *J. Quality Technology* 31(1), is

    B_t = max(0, B_{t-1} + X_t - gamma),      alarm when B_t >= h,

    gamma = ln((1 - p0) / (1 - p1)) / ln(p1 (1 - p0) / (p0 (1 - p1))),

which is Page's (1954) log-likelihood-ratio CUSUM divided by ``ln(p1 q0 / p0 q1)``. Following
Reynolds & Stoumbos we round ``gamma`` to ``k / m`` and run the chart on the integer lattice
``m * B_t`` (up ``m - k`` on an error, down ``k`` on a correct answer). The chart is then an
exact finite Markov chain, so its average run length (ARL) is the solution of
``(I - P) L = 1`` (Brook & Evans 1972), and the limit ``h`` is the smallest one whose in-control
ARL reaches ``target_arl0``. With restart after each alarm, false alarms arrive at rate
``1 / ARL0``: ``target_arl0 = 10_000`` means at most one false alarm per 10,000 gold answers.

Baseline: given explicitly (``baseline_accuracy``), or self-starting (after Hawkins 1987): an
answer that arrives while the chart sits at zero carries no sign of a change, so it joins the
member's baseline counts, ``lag`` answers later (a change is usually caught before its answers
could leak in). The counts give a Beta-posterior accuracy lowered by ``caution`` posterior
standard deviations (:func:`estimate_baseline`); no alarm until ``warmup`` answers are counted.

Measured (tests/domain/test_drift.py, defaults): false alarms 0.66 per 10,000 gold answers for
steady 0.9 members and 0.92 for steady 0.75 members; a drop 0.9 -> 0.7 after 300 answers is
flagged after a median 39 answers (33 with the true baseline given). A median of 30 at one
false alarm per 10,000 is out of reach of any test: Lorden's bound puts the delay near
``ln(ARL0) / KL(0.3 || 0.1)``, and the exact optimum CUSUM with a known baseline gives 32-33.

Label shift
-----------
The member's labels in a window against the rest of the team's labels in the same window: the
chi-square test of homogeneity on the 2 x K table (Pearson 1900) gives the p-value, and the
Jensen-Shannon divergence (Lin 1991, base 2, in [0, 1]) gives the size of the shift.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse, stats
from scipy.sparse.linalg import spsolve

from labelcrew.errors import ValidationFailed

ACCURACY_DROP = "accuracy_drop"
LABEL_SHIFT = "label_shift"


@dataclass(frozen=True)
class Alert:
    """A drift alert and its evidence.

    ``start``/``end`` are inclusive positions in the member's stream (gold answers for
    ``accuracy_drop``, labels for ``label_shift``); ``item_ids`` are the ids passed alongside the
    stream for those positions (positions themselves when no ids were passed).
    """

    kind: str
    start: int
    end: int
    before_rate: float
    after_rate: float
    statistic: float
    threshold: float
    item_ids: tuple[Hashable, ...]
    details: dict[str, Any] = field(default_factory=dict)


# -- Bernoulli CUSUM design -----------------------------------------------------------------

SCALE = 100  # lattice units per error: gamma is rounded to 1/SCALE
GRID = 100  # baselines are floored to 1/GRID so designs can be cached and shared


@dataclass(frozen=True)
class CusumDesign:
    """An integer-lattice Bernoulli CUSUM (Reynolds & Stoumbos 1999).

    ``up``/``down`` are the lattice steps on an error / a correct answer (``up + down ==
    SCALE``), ``limit`` is ``h * SCALE``; ``arl0`` is the exact in-control ARL from a zero start.
    """

    baseline_accuracy: float
    drift_accuracy: float
    up: int
    down: int
    limit: int
    arl0: float

    @property
    def reference(self) -> float:
        """gamma, in errors per answer."""
        return self.down / SCALE

    @property
    def threshold(self) -> float:
        """h, in errors."""
        return self.limit / SCALE


def _run_lengths(p_error: float, up: int, down: int, limit: int) -> NDArray[np.float64]:
    """ARL from every lattice state 0..limit-1 (Brook & Evans 1972): ``(I - P) L = 1``."""
    states = np.arange(limit)
    rise = states + up
    inside = rise < limit
    rows = np.concatenate([states[inside], states])
    cols = np.concatenate([rise[inside], np.maximum(states - down, 0)])
    probs = np.concatenate([np.full(inside.sum(), p_error), np.full(limit, 1.0 - p_error)])
    transition = sparse.csc_matrix((probs, (rows, cols)), shape=(limit, limit))
    system = sparse.identity(limit, format="csc") - transition
    return np.asarray(spsolve(system, np.ones(limit)), dtype=np.float64)


def average_run_length(design: CusumDesign, accuracy: float, start: int = 0) -> float:
    """Exact expected number of gold answers to an alarm for a member of this ``accuracy``."""
    return float(_run_lengths(1.0 - accuracy, design.up, design.down, design.limit)[start])


def design_cusum(
    baseline_accuracy: float, shift: float = 0.2, target_arl0: float = 10_000.0
) -> CusumDesign:
    """The chart that detects accuracy ``baseline - shift`` with in-control ARL >= target.

    The baseline is floored to a multiple of 1/GRID (erring towards fewer false alarms).
    """
    if not 0.0 < baseline_accuracy < 1.0:
        raise ValidationFailed(
            f"baseline_accuracy must be in (0, 1), got {baseline_accuracy}",
            code="drift_bad_baseline",
            field="baseline_accuracy",
        )
    if not 0.0 < shift < 1.0 or target_arl0 <= 1:
        raise ValidationFailed(
            f"need 0 < shift < 1 and target_arl0 > 1, got {shift}, {target_arl0}",
            code="drift_bad_design",
            field="shift",
        )
    step = int(np.clip(np.floor(baseline_accuracy * GRID + 1e-9), 5, GRID - 1))
    return _design(step, round(shift, 4), float(target_arl0))


@lru_cache(maxsize=4096)
def _design(step: int, shift: float, target: float) -> CusumDesign:
    p0 = 1.0 - step / GRID
    p1 = min(p0 + shift, 0.999)
    gamma = np.log((1 - p0) / (1 - p1)) / np.log(p1 * (1 - p0) / (p0 * (1 - p1)))
    down = int(np.clip(round(gamma * SCALE), 1, SCALE - 1))
    up = SCALE - down

    def arl0(limit: int) -> float:
        return float(_run_lengths(p0, up, down, limit)[0])

    high = up
    while arl0(high) < target:
        high *= 2
    low = 1
    while low < high:  # smallest limit whose in-control ARL reaches the target
        mid = (low + high) // 2
        if arl0(mid) >= target:
            high = mid
        else:
            low = mid + 1
    return CusumDesign(step / GRID, 1.0 - p1, up, down, low, arl0(low))


def estimate_baseline(
    n_correct: ArrayLike,
    n: ArrayLike,
    prior_accuracy: float = 0.85,
    prior_strength: float = 10.0,
    caution: float = 1.0,
) -> NDArray[np.float64]:
    """Cautious baseline accuracy from ``n_correct`` of ``n`` in-control gold answers.

    Beta posterior mean ``m = (n_correct + a) / (n + s)`` with ``a = prior_accuracy * s``,
    ``s = prior_strength``, lowered by ``caution`` posterior standard deviations
    ``sqrt(m (1 - m) / (n + s + 1))``: a short, lucky history must not set a bar the member
    cannot keep (that is where false alarms come from); the margin vanishes as ``n`` grows.
    """
    k = np.asarray(n_correct, dtype=float)
    total = np.asarray(n, dtype=float) + prior_strength
    mean = (k + prior_accuracy * prior_strength) / total
    return np.asarray(mean - caution * np.sqrt(mean * (1 - mean) / (total + 1)), dtype=float)


# -- streaming and batch accuracy drift -----------------------------------------------------


@dataclass(frozen=True)
class DriftOptions:
    """How the accuracy CUSUM is tuned (figures for these defaults: module docstring).

    ``shift``: accuracy drop to detect. ``target_arl0``: in-control ARL (false alarms at most
    one per that many gold answers). ``warmup``: baseline answers before any alarm. ``lag``:
    how long an in-control answer waits before joining the baseline. ``prior_*`` and
    ``caution``: see :func:`estimate_baseline`. A fixed ``baseline_accuracy`` replaces all this.
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
    """Streaming Bernoulli CUSUM on one member's gold correctness.

    ``update(correct, item_id)`` returns an :class:`Alert` on the answer that crosses the limit,
    then restarts the chart from zero (the baseline is kept).
    """

    def __init__(
        self, baseline_accuracy: float | None = None, options: DriftOptions | None = None
    ) -> None:
        self.options = options or DriftOptions()
        self.fixed_baseline = baseline_accuracy
        self.position = -1
        self.statistic = 0  # on the lattice: errors * SCALE
        self.baseline_n = 0
        self.baseline_correct = 0
        self._pending: deque[tuple[bool, bool]] = deque()  # (in control, correct), newest last
        self._run: list[tuple[int, Hashable, bool]] = []

    def design(self) -> CusumDesign:
        """The chart in force for the next answer."""
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
        if self.baseline_n < self.options.warmup and self.fixed_baseline is None:
            return None
        design = self.design()
        self.statistic = max(0, self.statistic + (-design.down if correct else design.up))
        if self.statistic == 0:
            self._run = []
            return None
        self._run.append((self.position, key, bool(correct)))
        if self.statistic < design.limit:
            return None
        alert = _accuracy_alert(design, self._run, self.statistic)
        self.statistic = 0
        self._run = []
        return alert


def _accuracy_alert(
    design: CusumDesign, run: list[tuple[int, Hashable, bool]], statistic: int
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
    """Alarm positions of many members at once: ``correct`` is (members, answers).

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
        for step in np.unique(steps[table[2, steps] < 0]):
            found = design_cusum(step / GRID, opts.shift, opts.target_arl0)
            table[:, step] = (found.up, found.down, found.limit)
        up, down, limit = table[:, steps]
        moved = np.maximum(0, statistic + np.where(values[:, t], -down, up))
        statistic = np.where(ready, moved, statistic)
        hit = statistic >= limit
        alarms[:, t] = hit
        statistic[hit] = 0
    return alarms


# -- label-distribution shift ---------------------------------------------------------------


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
