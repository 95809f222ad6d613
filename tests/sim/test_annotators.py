"""Simulated annotators: realised accuracy, confusion, drift onset, spammers and speed."""

from __future__ import annotations

import numpy as np
import pytest

from labelcrew.errors import ValidationFailed
from labelcrew.sim.annotators import SimAnnotator, confusion_matrix, make_team


def _realised_confusion(answers: np.ndarray, truths: np.ndarray, k: int) -> np.ndarray:
    counts = np.zeros((k, k))
    np.add.at(counts, (truths, answers), 1)
    return counts / counts.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("pattern", ["uniform", "adjacent", "next"])
def test_confusion_matrix_is_row_stochastic_with_the_accuracy(pattern: str) -> None:
    matrix = confusion_matrix(5, 0.85, pattern)
    assert np.allclose(matrix.sum(axis=1), 1.0)
    assert np.allclose(np.diag(matrix), 0.85)
    if pattern == "adjacent":
        assert matrix[0, 1] == pytest.approx(0.15) and matrix[2, 1] == pytest.approx(0.075)
        assert matrix[0, 3] == 0.0
    if pattern == "next":
        assert matrix[4, 0] == pytest.approx(0.15)


def test_bad_specifications_are_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        confusion_matrix(4, 0.9, "sideways")
    assert caught.value.code == "sim_bad_pattern"
    with pytest.raises(ValidationFailed):
        confusion_matrix(1, 0.9)
    with pytest.raises(ValidationFailed):
        make_team(3, 2, 2, 4, np.random.default_rng(0))


def test_realised_accuracy_and_confusion_match_the_specification() -> None:
    rng = np.random.default_rng(21)
    spec = confusion_matrix(4, 0.8, "adjacent")
    member = SimAnnotator("a", spec)
    truths = rng.integers(4, size=60_000)
    answers = member.answers(truths, rng)
    assert (answers == truths).mean() == pytest.approx(0.8, abs=0.01)
    assert np.abs(_realised_confusion(answers, truths, 4) - spec).max() < 0.015


def test_single_answers_follow_the_same_model() -> None:
    rng = np.random.default_rng(22)
    member = SimAnnotator("a", confusion_matrix(3, 0.7, "next"))
    truths = rng.integers(3, size=6000)
    answers = np.array([member.answer(int(t), rng) for t in truths])
    assert member.answered == 6000
    realised = _realised_confusion(answers, truths, 3)
    assert np.abs(realised - member.confusion).max() < 0.03


def test_drift_onset_takes_effect_at_the_right_item() -> None:
    rng = np.random.default_rng(23)
    before, after = confusion_matrix(4, 1.0), confusion_matrix(4, 0.0, "next")
    member = SimAnnotator("d", before, drift_at=250, drift_confusion=after, kind="drifter")
    truths = rng.integers(4, size=200)
    first = member.answers(truths, rng)  # answers 0..199
    second = np.array([member.answer(int(t), rng) for t in truths[:100]])  # 200..299
    assert (first == truths).all()
    assert (second[:50] == truths[:50]).all()  # answers 200..249: still perfect
    assert (second[50:] == (truths[50:100] + 1) % 4).all()  # from answer 250: all shifted
    assert member.accuracy_at(249) == 1.0 and member.accuracy_at(250) == 0.0


def test_team_composition_spammers_and_speed() -> None:
    rng = np.random.default_rng(24)
    team = make_team(12, n_drifters=3, n_spammers=2, n_classes=4, rng=rng)
    kinds = [m.kind for m in team]
    assert kinds.count("honest") == 7 and kinds.count("drifter") == 3
    assert kinds.count("random") == 1 and kinds.count("constant") == 1
    assert len({m.name for m in team}) == 12
    for member in team:
        if member.kind in ("honest", "drifter"):
            assert 0.8 <= member.accuracy_at(0) <= 0.95
        if member.kind == "drifter":
            assert member.drift_at is not None and 100 <= member.drift_at <= 400
            drop = member.accuracy_at(0) - member.accuracy_at(member.drift_at)
            assert drop == pytest.approx(0.2)
    truths = rng.integers(4, size=20_000)
    clicker = next(m for m in team if m.kind == "random")
    assert (clicker.answers(truths, rng) == truths).mean() == pytest.approx(0.25, abs=0.015)
    constant = next(m for m in team if m.kind == "constant")
    assert len(np.unique(constant.answers(truths, rng))) == 1
    honest = team[0]
    times = np.array([honest.seconds(rng) for _ in range(20_000)])
    assert np.median(times) == pytest.approx(honest.seconds_median, rel=0.03)
    assert np.std(np.log(times)) == pytest.approx(honest.seconds_sigma, rel=0.03)
