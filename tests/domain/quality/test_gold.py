"""Gold scheduling (rate, cap) and rolling gold accuracy with Wilson intervals."""

from __future__ import annotations

import random

import numpy as np
import pytest

from labelcrew.domain.quality.gold import (
    GoldPolicy,
    GoldRecord,
    gold_accuracy,
    gold_cap,
    gold_due,
    gold_probability,
    gold_rate,
    should_serve_gold,
    wilson_interval,
)
from labelcrew.errors import ValidationFailed


def _schedule(rng: random.Random | np.random.Generator, rate: float, items: int) -> list[bool]:
    served, since = [], 0
    for _ in range(items):
        gold = should_serve_gold(rng, rate, since)
        served.append(gold)
        since = 0 if gold else since + 1
    return served


def test_rates_by_state() -> None:
    assert gold_rate("active") == 0.07
    assert gold_rate("probation") == 0.15
    assert gold_rate("onboarding") == 1.0
    assert gold_rate("paused") == 0.0
    assert gold_rate("active", GoldPolicy(default_rate=0.05)) == 0.05
    with pytest.raises(ValidationFailed) as caught:
        gold_rate("retired")
    assert caught.value.code == "gold_bad_state"


@pytest.mark.parametrize("rate", [0.05, 0.07, 0.15])
def test_capped_probability_still_realises_the_rate(rate: float) -> None:
    q, cap = gold_probability(rate), gold_cap(rate)
    assert q < rate
    assert (1 - (1 - q) ** cap) / q == pytest.approx(1 / rate, rel=1e-9)


@pytest.mark.parametrize("rate", [0.07, 0.15])
def test_realised_rate_and_cap_over_many_draws(rate: float) -> None:
    served = np.array(_schedule(np.random.default_rng(1), rate, 200_000))
    assert served.mean() == pytest.approx(rate, rel=0.03)
    gaps = np.diff(np.flatnonzero(served))
    assert gaps.max() <= gold_cap(rate) <= 2 / rate + 1
    # random, not periodic: gaps of many different lengths
    assert len(np.unique(gaps)) > 10


def test_standard_library_random_works_too() -> None:
    served = _schedule(random.Random(2), 0.1, 50_000)
    assert sum(served) / len(served) == pytest.approx(0.1, rel=0.05)


def test_cap_forces_gold_and_zero_rate_never_serves() -> None:
    rng = np.random.default_rng(3)
    assert all(should_serve_gold(rng, 0.1, gold_cap(0.1) - 1) for _ in range(100))
    assert not any(should_serve_gold(rng, 0.0, 1000) for _ in range(100))


def test_gold_due_at_the_rate_owed_until_served_and_must_only_at_rate_one() -> None:
    rng = random.Random(0)
    assert gold_due(rng, 0.0, True) is None
    assert gold_due(rng, 1.0, False) == "must"
    assert all(gold_due(rng, 0.07, True) == "may" for _ in range(100))
    for rate in (0.07, 0.15, 0.35):
        offers = [gold_due(rng, rate, False) for _ in range(20_000)]
        assert "must" not in offers
        assert offers.count("may") / len(offers) == pytest.approx(rate, rel=0.06)


def test_the_gap_since_the_last_gold_tells_nothing() -> None:
    """Issue 21: a capped gap made gold certain after cap - 1 ordinary items. The offer is
    memoryless: after a long run without one, an offer is as likely as at any time."""
    rng = random.Random(7)
    rate, gap, after_long, long_runs = 0.07, 0, 0, 0
    for _ in range(300_000):
        offer = gold_due(rng, rate, False) == "may"
        if gap >= gold_cap(rate) - 1:
            long_runs += 1
            after_long += offer
        gap = 0 if offer else gap + 1
    assert long_runs > 1000
    assert after_long / long_runs == pytest.approx(rate, abs=0.015)


def test_wilson_interval_reference_values() -> None:
    # Wilson 1927; also Agresti & Coull (1998): 8/10 at 95 % -> (0.490, 0.943)
    low, high = wilson_interval(8, 10)
    assert (low, high) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(10, 10)[1] == 1.0


def test_gold_accuracy_per_member_label_and_rule_over_a_window() -> None:
    records = [("ana", "cat", "4.2", i % 4 != 0, i) for i in range(40)]  # 75 % right
    records += [GoldRecord("bo", "dog", "1.1", True, 5), ("bo", "cat", "4.2", False, 9)]
    result = gold_accuracy(reversed(records), window=20)
    ana = result["ana"]["overall"]
    assert (ana.n, ana.correct, ana.accuracy) == (20, 15, 0.75)
    assert ana.low < 0.75 < ana.high
    bo = result["bo"]
    assert bo["overall"].n == 2 and bo["overall"].accuracy == 0.5
    assert bo["by_label"]["dog"].accuracy == 1.0
    assert bo["by_rule"]["4.2"].accuracy == 0.0
    assert gold_accuracy(records, window=None)["ana"]["overall"].n == 40
