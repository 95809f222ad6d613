"""Gold scheduling and rolling gold accuracy.

Gold items are served inside the normal queue at a member's gold rate: 7 % by default (the
5-10 % band of seed 004), 15 % on probation (seed 004: "fifteen percent instead of five").
Onboarding members take the qualification test, which is all gold (rate 1.0) but is served by
the qualification flow, not by :func:`should_serve_gold`; paused members get no work (0.0).

Scheduling is random so a member cannot predict where the gold sits, with a cap so a member
never goes more than ``cap = ceil(cap_factor / rate)`` items without gold (when gold is
available). The per-item probability ``q`` is solved so that the capped scheme still realises
``rate`` exactly: the gap ``G`` between golds is geometric(q) truncated at ``cap``, with

    E[G] = (1 - (1 - q)^cap) / q = 1 / rate.

Accuracy intervals are Wilson score intervals (Wilson 1927):

    (p + z^2 / 2n +- z sqrt(p (1 - p) / n + z^2 / 4n^2)) / (1 + z^2 / n).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from labelcrew.errors import ValidationFailed


@dataclass(frozen=True)
class GoldPolicy:
    """Gold rates per membership state and the cap on the gap between golds."""

    default_rate: float = 0.07
    probation_rate: float = 0.15
    cap_factor: float = 2.0


def gold_rate(state: str, policy: GoldPolicy | None = None) -> float:
    """Share of a member's items that are gold, by membership state."""
    policy = policy or GoldPolicy()
    rates = {
        "onboarding": 1.0,
        "probation": policy.probation_rate,
        "active": policy.default_rate,
        "paused": 0.0,
    }
    if state not in rates:
        raise ValidationFailed(
            f"unknown membership state {state!r}", code="gold_bad_state", field="state"
        )
    return rates[state]


def gold_cap(rate: float, cap_factor: float = 2.0) -> int:
    """Largest gap (in items, the gold included) between two golds."""
    return max(1, math.ceil(cap_factor / rate))


@lru_cache(maxsize=256)
def gold_probability(rate: float, cap_factor: float = 2.0) -> float:
    """Per-item probability ``q`` that makes the capped scheme's long-run rate equal ``rate``."""
    if not 0.0 < rate <= 1.0:
        raise ValidationFailed(f"gold rate must be in (0, 1], got {rate}", code="gold_bad_rate")
    cap = gold_cap(rate, cap_factor)
    if cap == 1 or rate >= 1.0:
        return 1.0
    low, high = 0.0, rate  # E[G] falls as q rises, and q = rate already gives E[G] < 1/rate
    for _ in range(60):
        q = (low + high) / 2
        if (1 - (1 - q) ** cap) / q > 1 / rate:
            low = q
        else:
            high = q
    return (low + high) / 2


def should_serve_gold(
    rng: random.Random | np.random.Generator,
    rate: float,
    served_since_last_gold: int,
    cap_factor: float = 2.0,
) -> bool:
    """Whether the next item for this member is gold.

    ``served_since_last_gold`` counts the non-gold items served since the member's last gold.
    The draw is always taken (so the random stream does not depend on the cap).
    """
    if rate <= 0.0:
        return False
    draw = float(rng.random())
    if served_since_last_gold + 1 >= gold_cap(rate, cap_factor):
        return True
    return draw < gold_probability(rate, cap_factor)


def gold_due(rng: random.Random | np.random.Generator, rate: float, owed: bool) -> str | None:
    """Whether the next item may or must be gold: "must", "may" or None.

    Gold is served where it lies in the queue (issue 14): a gold item is taken only when one
    sits between the member's last item and the ordinary item they would get now, so the ids
    served keep one order whatever their kind. The offer is memoryless (issue 21): drawn at
    ``rate`` on every request whatever the gap since the last gold (a cap on the gap made
    16-19 % of gold items certain to whoever counted), and an offer that finds no gold in the
    step stays ``owed`` until a step has one. So the realised rate is the rate whenever gold
    lies ahead in the queue, and the queue's gold share when that is lower (the lead's
    gold-share warning says so). "must" is a rate of 1 (the qualification test).
    """
    if rate <= 0.0:
        return None
    draw = float(rng.random())  # always taken, so the stream does not depend on the state
    if rate >= 1.0:
        return "must"
    return "may" if owed or draw < rate else None


def wilson_interval(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for ``correct`` successes in ``n`` trials; (0, 1) when n = 0."""
    if n == 0:
        return 0.0, 1.0
    p = correct / n
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - spread) / denom), min(1.0, (centre + spread) / denom)


@dataclass(frozen=True)
class GoldRecord:
    """One gold answer: who, which gold label and deciding rule, right or wrong, and when
    (``position`` orders a member's answers, e.g. the annotation sequence number)."""

    member: Hashable
    label: Hashable
    rule: Hashable
    correct: bool
    position: int


@dataclass(frozen=True)
class GoldAccuracy:
    n: int
    correct: int
    accuracy: float
    low: float
    high: float


def _accuracy(hits: list[bool], z: float) -> GoldAccuracy:
    k, n = sum(hits), len(hits)
    low, high = wilson_interval(k, n, z)
    return GoldAccuracy(n, k, k / n if n else float("nan"), low, high)


def gold_accuracy(
    records: Iterable[GoldRecord | tuple[Any, Any, Any, bool, int]],
    window: int | None = 20,
    z: float = 1.96,
) -> dict[Hashable, dict[str, Any]]:
    """Rolling gold accuracy per member, per label and per rule.

    Returns ``{member: {"overall": GoldAccuracy, "by_label": {label: GoldAccuracy},
    "by_rule": {rule: GoldAccuracy}}}``. Each figure covers the latest ``window`` answers of
    its own group (a member's last 20 on label "cat" are not limited to their last 20 overall,
    which would leave most labels empty); ``window=None`` uses everything.
    """
    rows = sorted(
        (r if isinstance(r, GoldRecord) else GoldRecord(*r) for r in records),
        key=lambda r: r.position,
    )
    overall: dict[Hashable, list[bool]] = defaultdict(list)
    by_label: dict[Hashable, dict[Hashable, list[bool]]] = defaultdict(lambda: defaultdict(list))
    by_rule: dict[Hashable, dict[Hashable, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        overall[r.member].append(bool(r.correct))
        by_label[r.member][r.label].append(bool(r.correct))
        by_rule[r.member][r.rule].append(bool(r.correct))

    def tail(hits: list[bool]) -> list[bool]:
        return hits if window is None else hits[-window:]

    return {
        member: {
            "overall": _accuracy(tail(hits), z),
            "by_label": {k: _accuracy(tail(v), z) for k, v in by_label[member].items()},
            "by_rule": {k: _accuracy(tail(v), z) for k, v in by_rule[member].items()},
        }
        for member, hits in overall.items()
    }
