"""Design of a Bernoulli CUSUM chart: reference value, limit and exact average run length.

Each observation is a Bernoulli trial; ``X_t = 1`` when it is a *failure* (a wrong gold answer,
a label that disagrees with the consensus). In control the failure rate is ``p0``; we want to
notice when it rises to ``p1 = p0 + shift``. The Bernoulli CUSUM of Reynolds & Stoumbos (1999),
"A CUSUM chart for monitoring a proportion when inspecting continuously", *J. Quality
Technology* 31(1), is

    B_t = max(0, B_{t-1} + X_t - gamma),      alarm when B_t >= h,

    gamma = ln((1 - p0) / (1 - p1)) / ln(p1 (1 - p0) / (p0 (1 - p1))),

which is Page's (1954) log-likelihood-ratio CUSUM ("Continuous inspection schemes",
*Biometrika* 41) divided by ``ln(p1 q0 / p0 q1)``. Following Reynolds & Stoumbos we round
``gamma`` to ``k / m`` and run the chart on the integer lattice ``m * B_t`` (up ``m - k`` on a
failure, down ``k`` on a success). The chart is then an exact finite Markov chain, so its
average run length (ARL) is the solution of ``(I - P) L = 1`` (Brook & Evans 1972), and the limit
``h`` is the smallest one whose in-control ARL reaches ``target_arl0``. With restart after each
alarm, false alarms arrive at rate ``1 / ARL0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.sparse.linalg import spsolve

from labelcrew.errors import ValidationFailed

SCALE = 100  # lattice units per failure: gamma is rounded to 1/SCALE
GRID = 100  # baselines are floored to 1/GRID so designs can be cached and shared


@dataclass(frozen=True)
class CusumDesign:
    """An integer-lattice Bernoulli CUSUM (Reynolds & Stoumbos 1999).

    ``up``/``down`` are the lattice steps on a failure / a success (``up + down == SCALE``),
    ``limit`` is ``h * SCALE``; ``arl0`` is the exact in-control ARL from a zero start.
    ``baseline_accuracy`` and ``drift_accuracy`` are the success rates ``1 - p0``, ``1 - p1``.
    """

    baseline_accuracy: float
    drift_accuracy: float
    up: int
    down: int
    limit: int
    arl0: float

    @property
    def reference(self) -> float:
        """gamma, in failures per observation."""
        return self.down / SCALE

    @property
    def threshold(self) -> float:
        """h, in failures."""
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
    """Exact expected number of observations to an alarm when the success rate is ``accuracy``."""
    return float(_run_lengths(1.0 - accuracy, design.up, design.down, design.limit)[start])


def design_cusum(
    baseline_accuracy: float, shift: float = 0.2, target_arl0: float = 10_000.0
) -> CusumDesign:
    """The chart that detects success rate ``baseline - shift`` with in-control ARL >= target.

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
    prior_accuracy: ArrayLike = 0.85,
    prior_strength: float = 10.0,
    caution: float = 1.0,
) -> NDArray[np.float64]:
    """Cautious baseline success rate from ``n_correct`` of ``n`` in-control observations.

    Beta posterior mean ``m = (n_correct + a) / (n + s)`` with ``a = prior_accuracy * s``,
    ``s = prior_strength``, lowered by ``caution`` posterior standard deviations
    ``sqrt(m (1 - m) / (n + s + 1))``: a short, lucky history must not set a bar the member
    cannot keep (that is where false alarms come from); the margin vanishes as ``n`` grows.
    """
    k = np.asarray(n_correct, dtype=float)
    total = np.asarray(n, dtype=float) + prior_strength
    mean = (k + np.asarray(prior_accuracy, dtype=float) * prior_strength) / total
    return np.asarray(mean - caution * np.sqrt(mean * (1 - mean) / (total + 1)), dtype=float)
