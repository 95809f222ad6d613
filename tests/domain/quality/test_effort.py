"""Effort signals: rushing and straight-lining as evidence (issue 21, part 8)."""

from __future__ import annotations

import random

from labelcrew.domain.quality.effort import (
    describe,
    effort_signals,
    longest_run,
    run_chance,
)


def test_longest_run_and_its_chance() -> None:
    assert longest_run(["a", "b", "b", "b", "a", "a"]) == ("b", 3)
    assert longest_run([]) == (None, 0)
    # 200 answers, share 1/2: a run of 5 is ordinary, a run of 25 is not
    assert run_chance(200, 0.5, 5) > 0.9
    assert run_chance(200, 0.5, 25) < 1e-5
    assert run_chance(10, 1.0, 10) == 1.0  # only one answer ever given: no evidence either way


def test_a_steady_member_shows_no_signal_over_many_seeds() -> None:
    fired = 0
    for seed in range(200):
        rng = random.Random(seed)
        answers = [rng.choice("pnu") for _ in range(200)]
        times = [rng.randint(4000, 12000) for _ in range(200)]
        others = [rng.choice("pnu") for _ in range(600)]
        signals = effort_signals(times, times, times, answers, others)
        fired += signals["run"]["straight_lining"] or signals["speed"]["fast"]
    assert fired <= 1


def test_rushing_and_straight_lining_are_named() -> None:
    team = [8000] * 50
    rushed = [1500] * 50
    answers = ["p"] * 40 + ["n", "u"] * 5
    others = ["p", "n", "u"] * 40
    signals = effort_signals(rushed, team, team, answers, others)
    assert signals["speed"]["fast"] and signals["speed"]["vs_team"] == round(1500 / 8000, 3)
    assert signals["run"]["straight_lining"] and signals["run"]["length"] == 40
    text = describe(signals)
    assert "1.5 s per item" in text and "40 × 'p' in a row" in text


def test_too_few_timed_labels_judge_no_speed() -> None:
    signals = effort_signals([1000] * 5, [], [8000] * 50, ["p", "n"])
    assert "speed" not in signals and not signals["run"]["straight_lining"]
