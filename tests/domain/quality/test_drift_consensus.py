"""Agreement checks: the one-coin model's figures, and checks built from raw labels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelcrew.domain.quality.drift.consensus import (
    CONSENSUS_CHECK,
    PAIR_CHECK,
    ConsensusModel,
    peer_agreement,
)
from labelcrew.errors import ValidationFailed
from labelcrew.sim.annotators import confusion_matrix


def test_model_matches_the_worked_example() -> None:
    # K = 5, two others of accuracy 0.875: P_T = 0.875^2, P_W = 4 * (0.125 / 4)^2
    model = ConsensusModel(5, 0.875, 2)
    assert model.consensus_right == pytest.approx(0.765625)
    assert model.consensus_wrong == pytest.approx(0.00390625)
    assert model.reliability == pytest.approx(0.765625 / 0.76953125)
    c = model.reliability
    assert model.agreement(0.9) == pytest.approx(c * 0.9 + (1 - c) * 0.1 / 4)
    assert model.agreement(0.9) == pytest.approx(0.8956, abs=1e-4)
    assert model.agreement(0.9) - model.agreement(0.7) == pytest.approx(model.agreement_drop(0.2))
    assert model.agreement_drop(0.2) == pytest.approx(0.198, abs=1e-3)


def test_pair_checks_are_the_one_other_case_of_the_model() -> None:
    pair = ConsensusModel(5, 0.875, 1)
    assert pair.reliability == pytest.approx(0.875)  # one other: c = b
    assert pair.agreement(0.9) == pytest.approx(0.9 * 0.875 + 0.1 * 0.125 / 4)
    assert pair.agreement(0.7) == pytest.approx(0.6219, abs=1e-4)


def test_model_agrees_with_simulated_labels() -> None:
    rng = np.random.default_rng(12)
    k, n, b, a = 4, 200_000, 0.8, 0.75
    truth = rng.integers(0, k, n)

    def answers(accuracy: float) -> np.ndarray:
        rows = confusion_matrix(k, accuracy).cumsum(axis=1)[truth]
        return np.minimum((rng.random(n)[:, None] >= rows).sum(axis=1), k - 1)

    # three labels per item in order: two others, then the member (a consensus check)
    labels = np.stack([answers(b), answers(b), answers(a)], axis=1)
    found = peer_agreement(np.repeat(np.arange(n), 3), np.tile(np.arange(3), n), labels.ravel())
    mine = slice(2, None, 3)
    model = ConsensusModel(k, b, 2)
    assert found.observed[mine].mean() == pytest.approx(model.consensus_rate, abs=0.005)
    agreement = found.agrees[mine][found.observed[mine]].mean()
    assert agreement == pytest.approx(model.agreement(a), abs=0.005)
    first = slice(0, None, 3)  # first labels: a pair check against an other of accuracy b
    assert found.agrees[first].mean() == pytest.approx(
        ConsensusModel(k, b, 1).agreement(b), abs=0.005
    )


def test_checks_of_one_item_in_label_order() -> None:
    found = peer_agreement(
        item_ids=["i1", "i1", "i1", "i1", "i2", "i2", "i2", "i3"],
        annotators=["ann", "bo", "cy", "di", "ann", "bo", "cy", "ann"],
        labels=[0, 0, 1, 0, 1, 2, 1, 1],
        order=[10, 12, 15, 18, 11, 13, 14, 16],
    )
    # i1: ann and bo are the first pair and agree, cy is third and misses their consensus,
    # di is fourth (no check); i2: the first pair disagrees, so cy (third) has no consensus;
    # i3: a single label
    assert found.kind.tolist() == [PAIR_CHECK, PAIR_CHECK, CONSENSUS_CHECK, -1, 1, 1, -1, -1]
    assert found.agrees.tolist() == [True, True, False, False, False, False, False, False]
    # a pair check is known when the second label arrives, a consensus check with its label
    assert found.available_at[:3].tolist() == [12, 12, 15]
    assert found.available_at[4:6].tolist() == [13, 13]


def test_the_order_key_ranks_the_labels_not_the_input_order() -> None:
    found = peer_agreement([7, 7, 7], ["ann", "bo", "cy"], [2, 1, 1], order=[30, 20, 10])
    # by order: cy (10) and bo (20) are the pair and agree; ann (30) is third and differs
    assert found.kind.tolist() == [CONSENSUS_CHECK, PAIR_CHECK, PAIR_CHECK]
    assert found.agrees.tolist() == [False, True, True]
    assert found.available_at.tolist() == [30, 20, 20]


def test_an_annotator_with_two_labels_on_one_item_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        peer_agreement([1, 1, 1], ["a", "a", "b"], [0, 1, 0])
    assert caught.value.code == "drift_duplicate_label"
    with pytest.raises(ValidationFailed) as caught:
        peer_agreement([1, 1], ["a", "b"], [0])
    assert caught.value.code == "drift_bad_stream"


def test_bad_models_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        ConsensusModel(5, 0.2)  # at chance
    with pytest.raises(ValidationFailed):
        ConsensusModel(5, 0.9, n_others=0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 4), st.integers(0, 2)),
        min_size=1,
        max_size=40,
        unique_by=lambda r: (r[0], r[1]),
    )
)
def test_checks_match_a_direct_reading_of_the_rules(rows: list[tuple[int, int, int]]) -> None:
    items, who, labels = (list(x) for x in zip(*rows, strict=True))
    found = peer_agreement(items, who, labels)  # order = input position
    for i, (item, _, label) in enumerate(rows):
        earlier = [lab for it, _, lab in rows[:i] if it == item]
        later = [(j, lab) for j, (it, _, lab) in enumerate(rows) if it == item and j > i]
        if len(earlier) == 0 and later:
            expected = (PAIR_CHECK, label == later[0][1], later[0][0])
        elif len(earlier) == 1:
            expected = (PAIR_CHECK, label == earlier[0], i)
        elif len(earlier) == 2 and earlier[0] == earlier[1]:
            expected = (CONSENSUS_CHECK, label == earlier[0], i)
        else:
            expected = (-1, False, None)
        assert found.kind[i] == expected[0]
        assert found.agrees[i] == expected[1]
        if expected[2] is not None:
            assert found.available_at[i] == expected[2]
