"""Bernoulli CUSUM design: the reference value, the smallest limit, the exact ARL."""

from __future__ import annotations

import numpy as np
import pytest

from labelcrew.domain.quality.drift.cusum import (
    _run_lengths,
    average_run_length,
    design_cusum,
    estimate_baseline,
)
from labelcrew.errors import ValidationFailed


def test_design_is_the_smallest_limit_meeting_the_target_arl() -> None:
    design = design_cusum(0.9, shift=0.2, target_arl0=10_000)
    assert design.up + design.down == 100
    # Reynolds & Stoumbos reference value for p0 = 0.1, p1 = 0.3 is 0.186
    assert design.reference == pytest.approx(0.19, abs=0.005)
    assert design.arl0 >= 10_000
    below = _run_lengths(0.1, design.up, design.down, design.limit - 1)[0]
    assert below < 10_000
    assert average_run_length(design, 0.7) < 45


def test_markov_chain_arl_matches_simulation() -> None:
    design = design_cusum(0.8, shift=0.2, target_arl0=150)
    rng = np.random.default_rng(11)
    runs = 4000
    statistic = np.zeros(runs, dtype=np.int64)
    stopped = np.zeros(runs, dtype=np.int64)
    for t in range(1, 5000):
        live = stopped == 0
        if not live.any():
            break
        error = rng.random(runs) < 0.2
        statistic = np.maximum(0, statistic + np.where(error, design.up, -design.down))
        stopped[live & (statistic >= design.limit)] = t
    assert stopped.min() > 0
    assert stopped.mean() == pytest.approx(design.arl0, rel=0.06)


def test_design_rejects_bad_input() -> None:
    with pytest.raises(ValidationFailed) as caught:
        design_cusum(1.2)
    assert caught.value.code == "drift_bad_baseline"
    with pytest.raises(ValidationFailed):
        design_cusum(0.9, shift=0.0)


def test_cautious_baseline_shrinks_to_the_prior_and_tightens_with_data() -> None:
    assert estimate_baseline(0, 0, prior_accuracy=0.8, caution=0.0) == pytest.approx(0.8)
    few = float(estimate_baseline(9, 10))
    many = float(estimate_baseline(900, 1000))
    assert few < many < 0.9
