"""Overlap policies, and a seeded simulation: dynamic overlap vs fixed overlap 3."""

from __future__ import annotations

import numpy as np
import pytest

from labelcrew.domain.aggregation.methods import DEFAULT_METHOD, OneCoinDawidSkene, make_aggregator
from labelcrew.domain.work.overlap import (
    DynamicOverlap,
    FixedOverlap,
    OverlapPolicy,
    one_coin_posterior,
)
from labelcrew.errors import ValidationFailed


def test_posterior_of_one_answer_is_the_worker_accuracy() -> None:
    posterior = one_coin_posterior([2], [0.8], n_classes=5)
    np.testing.assert_allclose(posterior, [0.05, 0.05, 0.8, 0.05, 0.05])


def test_posterior_of_two_agreeing_answers() -> None:
    # 0.7 * 0.7 against 4 classes of (0.3/4)^2 each.
    expected = 0.49 / (0.49 + 4 * 0.075**2)
    assert one_coin_posterior([1, 1], [0.7, 0.7], 5)[1] == pytest.approx(expected)
    # Unknown accuracies fall back to the default.
    assert one_coin_posterior([1, 1], None, 5)[1] == pytest.approx(expected)
    assert one_coin_posterior([1, 1], [None, float("nan")], 5)[1] == pytest.approx(expected)


def test_dynamic_rules() -> None:
    policy = DynamicOverlap(target_confidence=0.9, min_overlap=1, max_overlap=3)
    assert policy.needs_more([], None, 3)
    assert not policy.needs_more([0], [0.95], 3)  # one very good worker is enough
    assert policy.needs_more([0], [0.7], 3)
    assert policy.needs_more([0, 1], [0.7, 0.7], 3)  # disagreement
    assert not policy.needs_more([0, 1, 2], [0.5, 0.5, 0.5], 3)  # max overlap reached
    assert DynamicOverlap(0.9, min_overlap=2).needs_more([0], [0.99], 3)


def test_both_policies_share_the_protocol() -> None:
    policies: list[OverlapPolicy] = [FixedOverlap(2), DynamicOverlap()]
    assert [p.needs_more([1], [0.95], 4) for p in policies] == [True, False]
    assert [p.needs_more([1, 1], [0.6, 0.6], 4) for p in policies] == [False, True]


def test_bad_parameters_name_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        DynamicOverlap(min_overlap=4, max_overlap=2)
    assert caught.value.field == "min_overlap"
    with pytest.raises(ValidationFailed) as caught:
        one_coin_posterior([5], None, 3)
    assert caught.value.code == "overlap_bad_answer"
    with pytest.raises(ValidationFailed):
        FixedOverlap(0)


def simulate(policy: OverlapPolicy, seed: int, n_items: int = 2000, n_classes: int = 5):
    """30 workers with accuracy ~ U(0.6, 0.95), errors uniform over the other classes.

    Items arrive one by one; each asks random distinct workers until the policy stops. The
    policy sees accuracies estimated without any gold: every 250 items one-coin Dawid-Skene is
    refitted on the answers so far (unknown before a worker's 10th answer -> default 0.7). All
    answers are then aggregated by the default method. Returns (labels used, accuracy).
    """
    rng = np.random.default_rng(seed)
    n_workers = 30
    accuracy = rng.uniform(0.6, 0.95, n_workers)
    truth = rng.integers(0, n_classes, n_items)
    estimate = np.full(n_workers, np.nan)
    items: list[int] = []
    workers: list[int] = []
    labels: list[int] = []
    for item in range(n_items):
        if item and item % 250 == 0:
            fitted = OneCoinDawidSkene(smoothing=1.0).fit(
                items, workers, labels, n_classes=n_classes
            )
            seen = np.bincount(workers, minlength=n_workers)[: len(fitted.skills_)] >= 10
            estimate[: len(seen)] = np.where(seen, fitted.skills_, np.nan)
        order = rng.permutation(n_workers)
        got: list[int] = []
        while policy.needs_more(got, estimate[order[: len(got)]].tolist(), n_classes):
            worker = int(order[len(got)])
            right = rng.random() < accuracy[worker]
            got.append(
                int(
                    truth[item] if right else (truth[item] + rng.integers(1, n_classes)) % n_classes
                )
            )
            items.append(item)
            workers.append(worker)
        labels.extend(got)
    result = make_aggregator(DEFAULT_METHOD).fit(
        items, workers, labels, n_items=n_items, n_classes=n_classes
    )
    return len(labels), float((result.labels_ == truth).mean())


@pytest.mark.slow
def test_dynamic_overlap_matches_fixed_three_with_30_percent_fewer_labels() -> None:
    # Pooled over three seeded runs of 2,000 items each: one run's accuracy moves by a few
    # items either way (seeds 1..6 are listed in the aggregation report).
    dynamic = DynamicOverlap(target_confidence=0.8, min_overlap=1, max_overlap=5)
    fixed_runs = [simulate(FixedOverlap(3), seed) for seed in (1, 2, 3)]
    dynamic_runs = [simulate(dynamic, seed) for seed in (1, 2, 3)]
    fixed_labels = sum(n for n, _ in fixed_runs)
    dynamic_labels = sum(n for n, _ in dynamic_runs)
    fixed_accuracy = float(np.mean([a for _, a in fixed_runs]))
    dynamic_accuracy = float(np.mean([a for _, a in dynamic_runs]))
    assert fixed_labels == 18000
    # Measured: fixed 3 -> 18000 labels, 0.8995; dynamic -> 12490 labels (-30.6%), 0.9045.
    assert dynamic_accuracy >= fixed_accuracy
    assert dynamic_labels <= 0.7 * fixed_labels
