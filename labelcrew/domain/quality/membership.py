"""Membership states and the rules that move a member between them.

    onboarding --(passes qualification)--> probation --(N gold, accuracy >= target)--> active
    probation / active --(gold accuracy confidently below floor)--> paused
    paused --(lead reinstates)--> probation, or --(must requalify)--> onboarding
    active --(lead demotes, e.g. after a major guideline change)--> probation

Qualification (seed 004, "onboarding is a gate"): a set of gold items graded against a pass mark;
a failed attempt may be retried after ``retry_delay``.

Auto-pause: over the member's last ``window`` gold answers (or all of them while fewer), once at
least ``min_answers_to_pause`` are in, the member is paused when the upper Wilson bound of
their accuracy (``confidence_z``, one-sided) is below ``floor``. Pausing on the bound, not the
point estimate, is what keeps a steady 0.9 member from ever being paused by a bad streak
(a 0.9 member scores <= 11/20 about once per 17,000 windows; with overlapping windows that is
a pause for ~4 % of such members over 2,000 gold answers), while a random clicker on four
classes is still paused within 10 gold answers in ~94 % of cases (median 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from labelcrew.domain.quality.gold import wilson_interval
from labelcrew.errors import Conflict, ValidationFailed


class MemberState(StrEnum):
    ONBOARDING = "onboarding"
    PROBATION = "probation"
    ACTIVE = "active"
    PAUSED = "paused"


ALLOWED_TRANSITIONS: dict[MemberState, frozenset[MemberState]] = {
    MemberState.ONBOARDING: frozenset({MemberState.PROBATION}),
    MemberState.PROBATION: frozenset({MemberState.ACTIVE, MemberState.PAUSED}),
    MemberState.ACTIVE: frozenset({MemberState.PAUSED, MemberState.PROBATION}),
    MemberState.PAUSED: frozenset({MemberState.PROBATION, MemberState.ONBOARDING}),
}


def check_transition(from_state: str, to_state: str) -> None:
    """Raise :class:`Conflict` unless ``from_state -> to_state`` is an allowed move."""
    source, target = _state(from_state), _state(to_state)
    if target not in ALLOWED_TRANSITIONS[source]:
        raise Conflict(
            f"a member cannot move from {source.value} to {target.value}",
            code="membership_bad_transition",
            field="state",
            details={"from": source.value, "to": target.value},
        )


def _state(value: str) -> MemberState:
    try:
        return MemberState(value)
    except ValueError:
        raise ValidationFailed(
            f"unknown membership state {value!r}", code="membership_bad_state", field="state"
        ) from None


@dataclass(frozen=True)
class MembershipPolicy:
    """Thresholds of the membership rules (defaults follow seeds 001, 003 and 004)."""

    window: int = 20
    floor: float = 0.6
    min_answers_to_pause: int = 5
    confidence_z: float = 1.28  # one-sided ~90 % upper bound
    probation_min_answers: int = 20
    probation_target: float = 0.8
    pass_mark: float = 0.8
    retry_delay: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class QualificationResult:
    passed: bool
    score: float
    n: int


@dataclass(frozen=True)
class Transition:
    """A state change decided by the rules, with the figures that decided it."""

    from_state: MemberState
    to_state: MemberState
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


def grade_qualification(answers_correct: Sequence[bool], pass_mark: float) -> QualificationResult:
    """Score a qualification attempt: passed when the share correct reaches ``pass_mark``."""
    if not answers_correct:
        raise ValidationFailed(
            "a qualification attempt needs at least one answer",
            code="qualification_empty",
            field="answers_correct",
        )
    if not 0.0 <= pass_mark <= 1.0:
        raise ValidationFailed(
            f"pass_mark must be in [0, 1], got {pass_mark}",
            code="qualification_bad_pass_mark",
            field="pass_mark",
        )
    n = len(answers_correct)
    score = sum(bool(a) for a in answers_correct) / n
    return QualificationResult(passed=score >= pass_mark, score=score, n=n)


def can_retry(last_attempt_at: datetime | None, now: datetime, retry_delay: timedelta) -> bool:
    """Whether a member may take the qualification again (first attempt: always)."""
    return last_attempt_at is None or now - last_attempt_at >= retry_delay


def qualification_transition(result: QualificationResult) -> Transition | None:
    """onboarding -> probation when the attempt passed."""
    if not result.passed:
        return None
    return Transition(
        MemberState.ONBOARDING,
        MemberState.PROBATION,
        "passed qualification",
        {"score": result.score, "n": result.n},
    )


def evaluate(
    state: str, recent_gold: Sequence[bool], policy: MembershipPolicy | None = None
) -> Transition | None:
    """The automatic transition due now, if any.

    ``recent_gold`` is the member's gold correctness since entering ``state``, oldest first
    (the rolling window is taken from its end). Onboarding is decided by
    :func:`qualification_transition`, and paused members wait for a lead, so both return None.
    """
    policy = policy or MembershipPolicy()
    current = _state(state)
    if current not in (MemberState.PROBATION, MemberState.ACTIVE):
        return None
    window = [bool(a) for a in recent_gold[-policy.window :]]
    n, k = len(window), sum(window)
    if n >= policy.min_answers_to_pause:
        _, upper = wilson_interval(k, n, policy.confidence_z)
        if upper < policy.floor:
            return Transition(
                current,
                MemberState.PAUSED,
                "gold accuracy below floor",
                {
                    "window": policy.window,
                    "n": n,
                    "correct": k,
                    "accuracy": k / n,
                    "upper_bound": upper,
                    "confidence_z": policy.confidence_z,
                    "floor": policy.floor,
                },
            )
    total = len(recent_gold)
    if current is MemberState.PROBATION and total >= policy.probation_min_answers:
        accuracy = sum(bool(a) for a in recent_gold) / total
        if accuracy >= policy.probation_target:
            return Transition(
                current,
                MemberState.ACTIVE,
                "probation passed",
                {"n": total, "accuracy": accuracy, "target": policy.probation_target},
            )
    return None
