"""Seniority and difficulty routing, and the choice of who takes redistributed work.

Difficulty is a ladder easy < normal < hard. A skip or an escalation raises an item one step;
disagreeing live labels make it hard at once. The candidate scan then walks difficulty tiers in
the member's order, each tier an index-friendly `difficulty IN (...)` filter on the usual
`ORDER BY priority DESC, id` scan:

- senior annotators: hard first, then the rest;
- annotators: easy and normal first, hard only when nothing else is left (so hard items wait
  for a senior while there is other work);
- members in probation (and onboarding): never hard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

DIFFICULTIES = ("easy", "normal", "hard")
LEVELS = ("annotator", "senior")
NEW_MEMBER_STATUSES = ("onboarding", "probation")


def raised(difficulty: str) -> str:
    """One step up the ladder; hard stays hard; an unknown value counts as normal."""
    index = DIFFICULTIES.index(difficulty) if difficulty in DIFFICULTIES else 1
    return DIFFICULTIES[min(index + 1, len(DIFFICULTIES) - 1)]


def tiers(level: str, status: str) -> list[tuple[str, ...]]:
    """The difficulty filters the candidate scan tries, in order."""
    if status in NEW_MEMBER_STATUSES:
        return [("easy",), ("normal",)]
    if level == "senior":
        return [("hard",), ("easy", "normal")]
    return [("easy", "normal"), ("hard",)]


def disagree(values: Sequence[Any]) -> bool:
    """Whether live labels of one field differ (missing answers are not a disagreement)."""
    seen = {repr(v) for v in values if v is not None}
    return len(seen) > 1


@dataclass(frozen=True)
class Candidate:
    """A member who could take moved work: their skills and how many more items they can hold."""

    user_id: int
    skills: dict[str, Any]
    spare: int


def skills_cover(required: Sequence[Any], skills: dict[str, Any]) -> bool:
    """Required skills are 'name' or 'name:level'; a member's skills map names to levels."""
    for need in required:
        name, _, level = str(need).partition(":")
        have = skills.get(name)
        if have is None:
            return False
        try:
            if level and int(have) < int(level):
                return False
        except (TypeError, ValueError):
            return False
    return True


def plan_moves(
    units: Sequence[tuple[int, Sequence[Any], int]],
    candidates: Sequence[Candidate],
    *,
    limit: int,
    require_skills: bool = True,
) -> list[tuple[int, int]]:
    """Assign work units (id, required skills, size in items) to candidates, greedily: each
    unit goes to the matching candidate with the most spare capacity that can hold it whole
    (ties: lowest user id); that candidate's spare shrinks by the size; at most `limit` items
    move in all. Returns (unit id, user id) pairs; a unit nobody can take stays where it is."""
    spare = {c.user_id: c.spare for c in candidates}
    moves: list[tuple[int, int]] = []
    moved = 0
    for unit_id, required, size in units:
        if moved + size > limit:
            continue
        able = [
            c
            for c in candidates
            if spare[c.user_id] >= size and (not require_skills or skills_cover(required, c.skills))
        ]
        if not able:
            continue
        best = min(able, key=lambda c: (-spare[c.user_id], c.user_id))
        spare[best.user_id] -= size
        moved += size
        moves.append((unit_id, best.user_id))
    return moves


def spread_ties(
    candidates: Sequence[tuple[int, Any, int]], seed: int
) -> list[tuple[int, Any, int]]:
    """Candidates (id, required skills, priority), best first, with the leading run of equal
    priority rotated by `seed` (the annotator's id).

    Concurrent annotators all scan the same best items; if each tried them in the same order,
    all but one would find its first pick locked and move on, one lock attempt at a time.
    The assignment engine tries the best candidate first and, when someone else holds it,
    the rest in this order: each annotator then starts at a different item of the top
    priority, and a lower priority is never preferred to a higher one."""
    if not candidates:
        return []
    top = candidates[0][2]
    run = next((i for i, c in enumerate(candidates) if c[2] != top), len(candidates))
    shift = seed % run
    return [*candidates[shift:run], *candidates[:shift], *candidates[run:]]
