"""One CUSUM over several kinds of evidence: the smallest limit, the exact run length."""

from __future__ import annotations

import numpy as np
import pytest

from labelcrew.domain.quality.drift.cusum import average_run_length, design_cusum
from labelcrew.domain.quality.drift.llr import SCALE, _run_lengths, design_llr_cusum
from labelcrew.errors import ValidationFailed

KINDS3 = ((0.9, 0.79, 0.89), (0.2, 0.17, 0.2), (1.0, 6.0, 2.3))


def _arl_gold(design, limit: int) -> float:
    rate = np.array(design.per_gold)
    used = rate > 0
    found = _run_lengths(
        np.array(design.baselines)[used],
        rate[used] / rate.sum(),
        np.array(design.up)[used],
        np.array(design.down)[used],
        limit,
    )[0]
    return float(found / rate.sum())


def test_the_limit_is_the_smallest_reaching_the_target() -> None:
    design = design_llr_cusum(*KINDS3, target_arl0=10_000)
    assert design.arl0 == pytest.approx(_arl_gold(design, design.limit))
    assert _arl_gold(design, design.limit - 1) < 10_000 <= design.arl0
    # steps are the rounded log-likelihood ratios: ln(0.3 / 0.1) and ln(0.9 / 0.7) for gold
    assert design.up[0] == round(SCALE * np.log(3.0))
    assert design.down[0] == round(SCALE * np.log(0.9 / 0.7))


def test_one_kind_is_the_bernoulli_cusum_of_reynolds_and_stoumbos() -> None:
    ours = design_llr_cusum((0.9,), (0.2,), (1.0,), 10_000)
    theirs = design_cusum(0.9, 0.2, 10_000)
    # the same test up to the lattice: reference value gamma = down / (up + down)
    assert ours.down[0] / (ours.up[0] + ours.down[0]) == pytest.approx(theirs.reference, abs=0.01)
    # and nearly the same out-of-control run length at accuracy 0.7
    rate = np.array([1.0])
    ours_arl1 = _run_lengths(
        np.array([0.7]), rate, np.array(ours.up), np.array(ours.down), ours.limit
    )
    assert ours_arl1[0] == pytest.approx(average_run_length(theirs, 0.7), rel=0.05)


def test_markov_chain_arl_matches_a_simulated_mixture() -> None:
    design = design_llr_cusum((0.85, 0.75, 0.9), (0.2, 0.17, 0.2), (1.0, 3.0, 1.0), 60)
    rng = np.random.default_rng(13)
    runs = 4000
    share = np.array(design.per_gold) / sum(design.per_gold)
    statistic = np.zeros(runs, dtype=np.int64)
    stopped = np.zeros(runs)
    golds = np.zeros(runs)
    up, down, p0 = np.array(design.up), np.array(design.down), np.array(design.baselines)
    for _ in range(20_000):
        live = stopped == 0
        if not live.any():
            break
        kind = rng.choice(3, size=runs, p=share)
        success = rng.random(runs) < p0[kind]
        golds += live & (kind == 0)
        statistic = np.maximum(0, statistic + np.where(success, -down[kind], up[kind]))
        stopped[live & (statistic >= design.limit)] = golds[live & (statistic >= design.limit)]
    assert (stopped > 0).all()
    assert stopped.mean() == pytest.approx(design.arl0, rel=0.06)


def test_banded_solve_matches_a_dense_one() -> None:
    p, w = np.array([0.8, 0.7]), np.array([0.3, 0.7])
    up, down, limit = np.array([9, 5]), np.array([3, 2]), 40
    dense = np.eye(limit)
    for pk, wk, u, d in zip(p, w, up, down, strict=True):
        for s in range(limit):
            if s + u < limit:
                dense[s, s + u] -= wk * (1 - pk)
            dense[s, max(s - d, 0)] -= wk * pk
    expected = np.linalg.solve(dense, np.ones(limit))
    assert np.allclose(_run_lengths(p, w, up, down, limit), expected)


def test_kinds_without_observations_are_left_out() -> None:
    alone = design_llr_cusum((0.9,), (0.2,), (1.0,), 5_000)
    padded = design_llr_cusum((0.9, 0.8, 0.8), (0.2, 0.2, 0.0), (1.0, 0.0, 3.0), 5_000)
    assert padded.limit == alone.limit and padded.per_gold == (1.0, 0.0, 0.0)
    assert padded.up[1:] == (0, 0) and padded.down[1:] == (0, 0)


def test_bad_designs_are_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        design_llr_cusum((1.2,), (0.2,), (1.0,))
    assert caught.value.code == "drift_bad_baseline"
    with pytest.raises(ValidationFailed):
        design_llr_cusum((0.9, 0.8), (0.2,), (1.0, 1.0))
    with pytest.raises(ValidationFailed):
        design_llr_cusum((0.9,), (0.2,), (0.0,))
