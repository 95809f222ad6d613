"""Effort signals on a member's recent labels (issue 21, part 8): evidence that goes with a
quality alert, so a lead can tell rushing from a knowledge gap.

- **Speed**: the member's median time per item over their latest labels against the team's
  median over the same labels' period, and against the member's own earlier median. `fast`
  when below `FAST_RATIO` of both (a third of the usual time: reading the item and the rule
  takes longer than that).
- **Straight-lining**: the longest run of one identical answer in a row in the member's latest
  labels, and how likely a run that long is by chance given how often the team gives that
  answer (the member's own share would excuse a member who gives nothing else).
  Under independent draws with share p for the repeated answer, the chance of a run of at least
  L somewhere in n answers is about ``1 - exp(-n (1 - p) p^L)`` (the Poisson approximation for
  the number of runs; Feller, *An Introduction to Probability Theory*, vol. 1, XIII.7).
  `straight_lining` when that chance is below `RUN_CHANCE` (1 in 1,000).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from statistics import median
from typing import Any

FAST_RATIO = 1 / 3
RUN_CHANCE = 1e-3
MIN_TIMED = 10  # labels with a time before the speed is judged


def longest_run(values: Sequence[Hashable]) -> tuple[Hashable | None, int]:
    """The value repeated most times in a row, and how many times (ties: the latest)."""
    best: tuple[Hashable | None, int] = (None, 0)
    run = 0
    for i, value in enumerate(values):
        run = run + 1 if i and values[i - 1] == value else 1
        if run >= best[1]:
            best = (value, run)
    return best


def run_chance(n: int, share: float, length: int) -> float:
    """Chance of a run of at least `length` of an answer with `share` in `n` independent
    answers (Poisson approximation, see the module docstring)."""
    if share >= 1.0:
        return 1.0
    if length <= 0 or n <= 0:
        return 1.0
    return 1.0 - math.exp(-n * (1.0 - share) * share**length)


def effort_signals(
    mine_ms: Sequence[int | None],
    earlier_ms: Sequence[int | None],
    team_ms: Sequence[int | None],
    answers: Sequence[Hashable],
    team_answers: Sequence[Hashable] = (),
) -> dict[str, Any]:
    """The speed and straight-lining evidence of one member's latest labels (`team_answers`:
    the others' answers of the same period; without them the member's own shares)."""
    out: dict[str, Any] = {}
    timed = [t for t in mine_ms if t is not None]
    team = [t for t in team_ms if t is not None]
    before = [t for t in earlier_ms if t is not None]
    if len(timed) >= MIN_TIMED and len(team) >= MIN_TIMED:
        mine, usual = median(timed), median(team)
        own = median(before) if len(before) >= MIN_TIMED else None
        vs_team = mine / usual if usual else None
        vs_own = mine / own if own else None
        out["speed"] = {
            "median_ms": mine,
            "team_median_ms": usual,
            "own_earlier_median_ms": own,
            "vs_team": None if vs_team is None else round(vs_team, 3),
            "vs_own": None if vs_own is None else round(vs_own, 3),
            "fast": vs_team is not None
            and vs_team < FAST_RATIO
            and (vs_own is None or vs_own < FAST_RATIO),
        }
    if answers:
        value, length = longest_run(answers)
        pool = team_answers or answers
        share = Counter(pool)[value] / len(pool)
        chance = run_chance(len(answers), share, length)
        out["run"] = {
            "answer": str(value),
            "length": length,
            "of": len(answers),
            "chance": round(chance, 6),
            "straight_lining": chance < RUN_CHANCE,
        }
    return out


def describe(signals: dict[str, Any]) -> str:
    """The signals that fired, in words ('' when none did)."""
    parts = []
    speed = signals.get("speed")
    if speed and speed["fast"]:
        parts.append(
            f"median {speed['median_ms'] / 1000:.1f} s per item against the team's "
            f"{speed['team_median_ms'] / 1000:.1f} s"
        )
    run = signals.get("run")
    if run and run["straight_lining"]:
        parts.append(f"{run['length']} × {run['answer']!r} in a row in their last {run['of']}")
    return "; ".join(parts)
