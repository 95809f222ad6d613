"""Design of one CUSUM over several kinds of Bernoulli evidence, with its exact run length.

Page's (1954) CUSUM adds up log-likelihood ratios and restarts at zero,

    S_t = max(0, S_{t-1} + z_t),      alarm when S_t >= h,

and for a Bernoulli observation of kind ``j`` (a gold answer, an agreement check) whose success
rate is ``p0_j`` in control and ``p1_j`` after the change,

    z = ln(p1_j / p0_j) on a success,      z = ln((1 - p1_j) / (1 - p0_j)) on a failure.

With a single kind this is the Bernoulli CUSUM of Reynolds & Stoumbos (1999) up to a factor.
Every kind adds its evidence to the same sum, so a member's gold answers and agreement checks
count together at their own weight. As in Reynolds & Stoumbos, each ``z`` is rounded to the
lattice ``1 / SCALE`` nats, which makes the chart a finite Markov chain: kinds arrive at ``r_j``
observations per gold answer, and taking the kind of each observation as an independent draw
with probability ``r_j / R`` (``R = sum r``), the in-control ARL in observations ``L`` solves
``(I - P) L = 1`` (Brook & Evans 1972); by Wald's identity the ARL in gold answers is ``L / R``.
The limit ``h`` is the smallest one whose ARL in gold answers reaches the target, so with
restart after each alarm the chart raises at most ``1 / target`` false alarms per gold answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.linalg import solve_banded

from labelcrew.errors import ValidationFailed

SCALE = 20  # lattice units per nat of log-likelihood ratio
GRID = 100  # baselines are floored to 1/GRID so designs can be cached and shared


@dataclass(frozen=True)
class LlrDesign:
    """One chart: per kind the success rates before / after the change, the rate per gold
    answer and the lattice steps (``up`` on a failure, ``down`` on a success); ``limit`` is
    ``h * SCALE`` and ``arl0`` the exact in-control ARL in gold answers from a zero start."""

    baselines: tuple[float, ...]
    drifted: tuple[float, ...]
    per_gold: tuple[float, ...]
    up: tuple[int, ...]
    down: tuple[int, ...]
    limit: int
    arl0: float

    @property
    def threshold(self) -> float:
        """h, in nats."""
        return self.limit / SCALE


def _run_lengths(
    p_success: np.ndarray, weight: np.ndarray, up: np.ndarray, down: np.ndarray, limit: int
) -> np.ndarray:
    """ARL in observations from every lattice state 0..limit-1: ``(I - P) L = 1``. The chain
    only moves up to ``max(up)`` states up and ``max(down)`` down (the fall to 0 included), so
    ``I - P`` is banded and one banded LU solve does it."""
    states = np.arange(limit)
    above, below = int(up.max()), int(down.max())
    bands = np.zeros((above + below + 1, limit))  # bands[above + i - j, j] = (I - P)[i, j]
    bands[above] = 1.0
    for p, w, u, d in zip(p_success, weight, up, down, strict=True):
        rise = states + u
        inside = rise < limit
        np.add.at(bands, (above + states[inside] - rise[inside], rise[inside]), -w * (1.0 - p))
        fall = np.maximum(states - d, 0)
        np.add.at(bands, (above + states - fall, fall), -w * p)
    return np.asarray(solve_banded((below, above), bands, np.ones(limit)), dtype=np.float64)


def steps_of(baseline: float, drifted: float) -> tuple[int, int]:
    """Lattice steps (up on a failure, down on a success) of one kind, at least 1 each."""
    up = round(SCALE * np.log((1.0 - drifted) / (1.0 - baseline)))
    down = round(SCALE * np.log(baseline / drifted))
    return max(int(up), 1), max(int(down), 1)


def design_llr_cusum(
    baselines: tuple[float, ...],
    drops: tuple[float, ...],
    per_gold: tuple[float, ...],
    target_arl0: float = 10_000.0,
) -> LlrDesign:
    """The chart for kinds of success rate ``baselines`` that fall by ``drops``, arriving at
    ``per_gold`` observations per gold answer, with in-control ARL >= ``target_arl0`` gold
    answers. Baselines are floored to 1/GRID (towards fewer false alarms); kinds with no
    observations or no drop carry no evidence and are left out."""
    if not len(baselines) == len(drops) == len(per_gold) or not baselines:
        raise ValidationFailed(
            "baselines, drops and per_gold need one entry per kind",
            code="drift_bad_design",
            field="baselines",
        )
    if any(not 0.0 < b < 1.0 for b in baselines):
        raise ValidationFailed(
            f"baselines must be in (0, 1), got {baselines}",
            code="drift_bad_baseline",
            field="baselines",
        )
    if target_arl0 <= 1 or any(r < 0 for r in per_gold) or not any(r > 0 for r in per_gold):
        raise ValidationFailed(
            f"need target_arl0 > 1 and some observations, got {target_arl0}, {per_gold}",
            code="drift_bad_design",
            field="per_gold",
        )
    steps = tuple(int(np.clip(np.floor(b * GRID + 1e-9), 5, GRID - 1)) for b in baselines)
    return _design(
        steps,
        tuple(round(d, 3) for d in drops),
        tuple(round(r, 2) for r in per_gold),
        float(target_arl0),
    )


# The limit of the last design of each family: neighbouring baselines have neighbouring limits,
# so it brackets the next search in two or three solves instead of a dozen.
_LAST_LIMIT: dict[tuple[tuple[float, ...], tuple[float, ...], float], int] = {}


def _smallest_limit(arl0: Callable[[int], float], target: float, hint: int) -> tuple[int, float]:
    """The smallest limit whose ARL reaches ``target``, and the log of that ARL. ARL grows with
    the limit and its log almost linearly: bracket around ``hint``, then interpolate
    (regula falsi), bisecting when the same end of the bracket moved twice running."""
    goal = np.log(target)
    hint = max(hint, 1)
    value = np.log(arl0(hint))
    low, log_low, high, log_high = 0, -np.inf, hint, value  # arl0(0) is 0
    if value < goal:
        low, log_low, high, step = hint, value, hint, 4
        while log_high < goal:
            high += step
            step *= 2
            log_high = np.log(arl0(high))
    else:
        step = 4
        while high - step > 0:
            guess = high - step
            value = np.log(arl0(guess))
            if value < goal:
                low, log_low = guess, value
                break
            high, log_high = guess, value
            step *= 2
    last, repeats = "", 0
    while high - low > 1:
        if np.isfinite(log_low) and repeats < 2:
            share = (goal - log_low) / (log_high - log_low)
            guess = int(np.clip(round(low + share * (high - low)), low + 1, high - 1))
        else:
            guess = (low + high) // 2
        value = np.log(arl0(guess))
        side = "high" if value >= goal else "low"
        repeats = repeats + 1 if side == last and repeats < 2 else 1
        last = side
        if side == "high":
            high, log_high = guess, value
        else:
            low, log_low = guess, value
    return high, float(log_high)


@lru_cache(maxsize=16384)
def _design(
    steps: tuple[int, ...], drops: tuple[float, ...], per_gold: tuple[float, ...], target: float
) -> LlrDesign:
    p0 = np.array(steps) / GRID
    p1 = np.clip(p0 - np.array(drops), 0.01, p0)
    rate = np.array(per_gold)
    used = (rate > 0) & (p1 < p0)
    pairs = [steps_of(b, d) if u else (1, 1) for b, d, u in zip(p0, p1, used, strict=True)]
    up = np.array([p[0] for p in pairs])
    down = np.array([p[1] for p in pairs])
    total = rate[used].sum()

    def arl0(limit: int) -> float:
        if total == 0:
            return float("inf")
        weight = rate[used] / total
        found = _run_lengths(p0[used], weight, up[used], down[used], limit)[0]
        return float(found / total)

    family = (drops, per_gold, target)
    high, log_high = _smallest_limit(arl0, target, _LAST_LIMIT.get(family, int(up.max())))
    _LAST_LIMIT[family] = high
    return LlrDesign(
        baselines=tuple(float(x) for x in p0),
        drifted=tuple(float(x) for x in p1),
        per_gold=tuple(float(x) for x in rate * used),
        up=tuple(int(x) for x in up * used),
        down=tuple(int(x) for x in down * used),
        limit=high,
        arl0=float(np.exp(log_high)),
    )
