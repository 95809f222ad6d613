"""The regrouped-answers E-step against a plain log-space E-step, on awkward inputs.

A fitted EM estimator keeps the worker model its final posteriors were computed from, so
``probas_`` must equal one log-space E-step (log-sum-exp per item, as crowd-kit computes it)
from ``priors_`` and ``errors_``. The inputs here exercise what the benchmark's fixed-overlap
design does not: rows out of item order, items with different numbers of answers (the rank
permutation), items nobody answered, and items with hundreds of answers whose probability
products underflow float64 unless they are rescaled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp

from labelcrew.domain.aggregation import answers as aggregation_answers
from labelcrew.domain.aggregation.answers import AnswerLayout
from labelcrew.domain.aggregation.methods import DawidSkene, GoldSeededDawidSkene, OneCoinDawidSkene


def log_space_posteriors(
    fitted, item: np.ndarray, worker: np.ndarray, label: np.ndarray, n_items: int
) -> tuple[np.ndarray, float]:
    """T and the summed log-evidence from the fitted model, by log-sum-exp (the textbook way)."""
    with np.errstate(divide="ignore"):
        log_errors = np.log(fitted.errors_)  # [worker, true class, answered class]
    log_joint = np.tile(np.log(fitted.priors_), (n_items, 1))
    np.add.at(log_joint, item, log_errors[worker, :, label])
    log_evidence = logsumexp(log_joint, axis=1)
    return np.exp(log_joint - log_evidence[:, None]), float(log_evidence.sum())


def ragged_answers(
    seed: int, n_items: int = 300, n_workers: int = 12, n_classes: int = 4, max_answers: int = 9
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Items with 0..max_answers answers from distinct workers, rows shuffled."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, n_items)
    accuracy = rng.uniform(0.4, 0.95, n_workers)
    per_item = rng.integers(0, max_answers + 1, n_items)
    item = np.repeat(np.arange(n_items), per_item)
    worker = np.concatenate([rng.permutation(n_workers)[:count] for count in per_item])
    right = rng.random(item.size) < accuracy[worker]
    wrong = (truth[item] + rng.integers(1, n_classes, item.size)) % n_classes
    label = np.where(right, truth[item], wrong)
    order = rng.permutation(item.size)
    return item[order], worker[order], label[order]


def test_layout_groups_answers_by_item_most_answered_first() -> None:
    # Item 0: 1 answer, item 1: 3, item 2: none, item 3: 2; rows out of order.
    item = np.array([1, 3, 0, 1, 3, 1])
    cells = np.array([10, 30, 0, 11, 31, 12])
    layout = AnswerLayout.build(item, cells, n_items=4, n_cells=40, n_classes=2)
    # Ranks: item 1, item 3, item 0, item 2.
    assert layout.rank is not None and layout.rank.tolist() == [2, 0, 3, 1]
    assert layout.answers_per_rank.tolist() == [3, 2, 1, 0]
    # Each item's answers keep their row order within the item.
    assert [column.tolist() for column in layout.columns] == [[10, 30, 0], [11, 31], [12]]
    assert layout.counts.toarray()[1, [30, 31]].tolist() == [1.0, 1.0]
    assert layout.to_items(layout.to_ranks(np.arange(4))).tolist() == [0, 1, 2, 3]


def test_fixed_overlap_in_item_order_moves_nothing() -> None:
    item = np.repeat(np.arange(5), 3)
    layout = AnswerLayout.build(item, np.arange(15) % 7, n_items=5, n_cells=7, n_classes=7)
    assert layout.rank is None
    assert [column.tolist() for column in layout.columns] == [
        [0, 3, 6, 2, 5],
        [1, 4, 0, 3, 6],
        [2, 5, 1, 4, 0],
    ]


@pytest.mark.parametrize(
    "model",
    [DawidSkene(), DawidSkene(smoothing=0.05), OneCoinDawidSkene()],
    ids=["ds", "ds-smoothed", "one-coin"],
)
def test_probas_are_one_log_space_e_step_of_the_kept_model(model) -> None:
    item, worker, label = ragged_answers(seed=5)
    n_items = 320  # the last 20 items have no answers at all
    fitted = model.fit(item, worker, label, n_items=n_items)
    expected, log_evidence = log_space_posteriors(fitted, item, worker, label, n_items)
    np.testing.assert_allclose(fitted.probas_, expected, rtol=0, atol=1e-12)
    # Unanswered items get the prior; the stored log-likelihood is that of these posteriors.
    np.testing.assert_allclose(fitted.probas_[300:], np.tile(fitted.priors_, (20, 1)), atol=1e-15)
    if model.smoothing == 0:
        assert fitted.log_likelihood_[-1] == pytest.approx(log_evidence / item.size, abs=1e-12)


def test_deep_items_are_rescaled_instead_of_underflowing(monkeypatch) -> None:
    # 1,200 answers per item from near-random workers: the leading class's product of
    # probabilities is around exp(-1700), far below the smallest float64.
    rng = np.random.default_rng(8)
    n_items, n_workers, n_classes, depth = 40, 1200, 5, 1200
    truth = rng.integers(0, n_classes, n_items)
    item = np.repeat(np.arange(n_items), depth)
    worker = np.tile(np.arange(n_workers), n_items)
    right = rng.random(item.size) < 0.3
    label = np.where(right, truth[item], rng.integers(0, n_classes, item.size))
    fitted = OneCoinDawidSkene(n_iter=5).fit(item, worker, label)
    expected, _ = log_space_posteriors(fitted, item, worker, label, n_items)
    assert np.isfinite(fitted.probas_).all()
    np.testing.assert_allclose(fitted.probas_, expected, rtol=0, atol=1e-9)
    assert (fitted.labels_ == truth).mean() == 1.0
    # The same fit without rescaling loses every row (0/0): the rescaling is what saves it.
    monkeypatch.setattr(aggregation_answers, "_LOG_RANGE", 1e9)
    with np.errstate(divide="ignore", invalid="ignore"):
        broken = OneCoinDawidSkene(n_iter=5).fit(item, worker, label)
    assert not np.isfinite(broken.probas_).all()


def test_gold_seeded_posteriors_follow_the_rank_permutation() -> None:
    item, worker, label = ragged_answers(seed=9)
    gold_item = np.array([3, 17, 250])
    gold_label = np.array([1, 0, 3])
    fitted = GoldSeededDawidSkene(smoothing=0.05).fit(
        item, worker, label, gold_item=gold_item, gold_label=gold_label, n_items=300
    )
    assert fitted.labels_[gold_item].tolist() == gold_label.tolist()
    assert (fitted.probas_[gold_item, gold_label] == 1.0).all()
    assert (fitted.probas_[gold_item].sum(axis=1) == 1.0).all()
    expected, _ = log_space_posteriors(fitted, item, worker, label, 300)
    others = np.setdiff1d(np.arange(300), gold_item)
    np.testing.assert_allclose(fitted.probas_[others], expected[others], rtol=0, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from([2, 3, 5]))
def test_ragged_shuffled_answers_match_crowdkit(seed, n_classes) -> None:
    crowdkit = pytest.importorskip("crowdkit.aggregation")
    item, worker, label = ragged_answers(seed, n_items=60, n_classes=n_classes, max_answers=6)
    # crowd-kit only knows answered items: renumber them 0..n-1 so both see the same set.
    answered, item = np.unique(item, return_inverse=True)
    classes, label = np.unique(label, return_inverse=True)
    frame = pd.DataFrame({"task": item, "worker": worker, "label": label})
    theirs = crowdkit.DawidSkene(n_iter=6, tol=-1.0).fit(frame)
    ours = DawidSkene(n_iter=6, tol=0.0).fit(item, worker, label)
    their_probas = theirs.probas_.reindex(index=range(len(answered)), columns=range(len(classes)))
    np.testing.assert_allclose(ours.probas_, their_probas.fillna(0.0).to_numpy(), atol=1e-8)
