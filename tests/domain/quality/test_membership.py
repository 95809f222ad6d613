"""Membership rules: qualification, probation, auto-pause, and the allowed moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from labelcrew.domain.quality.membership import (
    MembershipPolicy,
    MemberState,
    Transition,
    can_retry,
    check_transition,
    evaluate,
    grade_qualification,
    qualification_transition,
)
from labelcrew.errors import Conflict, ValidationFailed


def _first_pause(stream: np.ndarray, state: str, policy: MembershipPolicy) -> int | None:
    """Gold answers until the rules pause this member (1-based), or None."""
    for n in range(1, stream.size + 1):
        found = evaluate(state, list(stream[:n]), policy)
        if found is not None and found.to_state is MemberState.PAUSED:
            return n
    return None


def test_grading_a_qualification_attempt() -> None:
    result = grade_qualification([True] * 8 + [False] * 2, pass_mark=0.8)
    assert (result.passed, result.score, result.n) == (True, 0.8, 10)
    assert not grade_qualification([True] * 7 + [False] * 3, pass_mark=0.8).passed
    with pytest.raises(ValidationFailed) as caught:
        grade_qualification([], 0.8)
    assert caught.value.code == "qualification_empty"


def test_passing_qualification_moves_onboarding_to_probation() -> None:
    passed = qualification_transition(grade_qualification([True] * 9 + [False], 0.8))
    assert passed == Transition(
        MemberState.ONBOARDING,
        MemberState.PROBATION,
        "passed qualification",
        {"score": 0.9, "n": 10},
    )
    assert qualification_transition(grade_qualification([False] * 5, 0.8)) is None


def test_retry_waits_for_the_delay() -> None:
    last = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    delay = MembershipPolicy().retry_delay
    assert can_retry(None, last, delay)
    assert not can_retry(last, last + timedelta(hours=23, minutes=59), delay)
    assert can_retry(last, last + timedelta(hours=24), delay)


def test_probation_ends_after_enough_accurate_gold() -> None:
    policy = MembershipPolicy()
    assert evaluate("probation", [True] * 19, policy) is None
    done = evaluate("probation", [True] * 17 + [False] * 3, policy)
    assert done is not None and done.to_state is MemberState.ACTIVE
    assert done.evidence == {"n": 20, "accuracy": 0.85, "target": 0.8}
    assert evaluate("probation", [True] * 15 + [False] * 5, policy) is None


def test_low_window_accuracy_pauses_probation_and_active_members() -> None:
    history = [True] * 40 + [False, False, True] * 7  # last 20 hold 7 correct
    for state in ("probation", "active"):
        found = evaluate(state, history)
        assert found is not None and found.to_state is MemberState.PAUSED
        assert found.from_state == MemberState(state)
        assert found.evidence["window"] == 20 and found.evidence["n"] == 20
        assert found.evidence["correct"] == 7 and found.evidence["floor"] == 0.6
        assert found.evidence["upper_bound"] < 0.6


def test_no_automatic_move_out_of_onboarding_or_paused() -> None:
    assert evaluate("onboarding", [False] * 20) is None
    assert evaluate("paused", [True] * 50) is None
    assert evaluate("active", [True] * 50) is None


def test_allowed_transitions() -> None:
    check_transition("onboarding", "probation")
    check_transition("paused", "probation")
    with pytest.raises(Conflict) as caught:
        check_transition("onboarding", "active")
    assert caught.value.code == "membership_bad_transition"
    with pytest.raises(ValidationFailed):
        check_transition("retired", "active")


def test_random_clicker_is_paused_within_10_gold_answers() -> None:
    rng = np.random.default_rng(12)
    policy = MembershipPolicy()
    pauses = [_first_pause(rng.random(10) < 0.25, "probation", policy) for _ in range(2000)]
    caught = [p for p in pauses if p is not None]
    # measured: 94 % paused within 10, median 5
    assert len(caught) / len(pauses) >= 0.9
    assert np.median(caught) <= 6


def test_steady_09_worker_is_never_paused() -> None:
    rng = np.random.default_rng(13)
    policy = MembershipPolicy()
    members, answers = 200, 400
    paused = 0
    for stream in rng.random((members, answers)) < 0.9:
        # the window rule only looks at the last `window` answers: evaluate on each prefix
        correct = list(stream)
        paused += any(
            (t := evaluate("active", correct[: n + 1], policy)) is not None
            and t.to_state is MemberState.PAUSED
            for n in range(answers)
        )
    assert paused == 0
