"""Percent agreement, Fleiss' and Cohen's kappa against statsmodels, sklearn and examples."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from labelcrew.domain.quality.agreement import kappa as agreement_kappa
from labelcrew.domain.quality.agreement.kappa import (
    cohen_kappa_pairwise,
    fleiss_kappa,
    fleiss_kappa_table,
    percent_agreement,
)
from labelcrew.errors import ValidationFailed

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories.
WIKIPEDIA_TABLE = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


def long_from_table(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.nonzero(table)
    counts = table[rows, cols]
    return np.repeat(rows, counts), np.repeat(cols, counts)


def test_wikipedia_fleiss_example() -> None:
    assert fleiss_kappa_table(WIKIPEDIA_TABLE) == pytest.approx(0.210, abs=5e-4)
    item, value = long_from_table(WIKIPEDIA_TABLE)
    assert fleiss_kappa(item, value) == pytest.approx(0.20993070442195522, abs=1e-12)
    # P-bar of the same example is 0.378 (Wikipedia).
    assert percent_agreement(item, value) == pytest.approx(0.378, abs=5e-4)


@settings(max_examples=100, deadline=None)
@given(
    table=st.integers(2, 5).flatmap(
        lambda raters: hnp.arrays(
            np.int64,
            st.tuples(st.integers(1, 15), st.integers(2, 5)),
            elements=st.integers(0, raters),
        ).map(lambda t: _fill_rows(t, raters))
    )
)
def test_fleiss_matches_statsmodels_with_constant_raters(table: np.ndarray) -> None:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        expected = statsmodels_fleiss(table)
    actual = fleiss_kappa_table(table)
    if not np.isfinite(expected):
        assert np.isnan(actual)
    else:
        assert actual == pytest.approx(expected, abs=1e-9)


def _fill_rows(table: np.ndarray, raters: int) -> np.ndarray:
    """Make every row sum to `raters` by putting the remainder in the last column."""
    table = np.minimum(table, raters)
    table = np.where(np.cumsum(table, axis=1) > raters, 0, table)
    table[:, -1] += raters - table.sum(axis=1)
    return table


def gwet_fleiss_reference(table: np.ndarray) -> float:
    """A plain-loop reading of Gwet's generalised Fleiss' kappa (varying raters per item)."""
    rated = [row for row in table.tolist() if sum(row) >= 1]
    pairable = [row for row in rated if sum(row) >= 2]
    p_a = sum(sum(n * (n - 1) for n in row) / (sum(row) * (sum(row) - 1)) for row in pairable)
    p_a /= len(pairable)
    pi = [sum(row[c] / sum(row) for row in rated) / len(rated) for c in range(table.shape[1])]
    p_e = sum(p * p for p in pi)
    return (p_a - p_e) / (1 - p_e)


def test_fleiss_with_varying_raters_per_item() -> None:
    table = np.array([[3, 0, 1], [0, 2, 0], [1, 1, 0], [0, 0, 1], [2, 2, 1]])
    assert fleiss_kappa_table(table) == pytest.approx(gwet_fleiss_reference(table), abs=1e-12)


def test_percent_agreement_averages_pair_agreement_per_item() -> None:
    # item 0: 3 of 3 pairs agree; item 1: 1 of 3 pairs; item 2: one rating, left out.
    item = [0, 0, 0, 1, 1, 1, 2]
    value = ["a", "a", "a", "a", "a", "b", "c"]
    assert percent_agreement(item, value) == pytest.approx((1.0 + 1 / 3) / 2)
    assert np.isnan(percent_agreement([0, 1], ["a", "b"]))
    assert np.isnan(percent_agreement([], []))


rating_matrices = hnp.arrays(
    np.int64,
    st.tuples(st.integers(2, 5), st.integers(1, 25)),
    elements=st.integers(-1, 3),
)


@pytest.mark.parametrize("dense", [False, True])
@settings(max_examples=80, deadline=None)
@given(matrix=rating_matrices)
def test_cohen_matches_sklearn_on_every_pair(matrix: np.ndarray, dense: bool) -> None:
    rater, item = np.nonzero(matrix >= 0)
    value = matrix[rater, item]
    share = 0.0 if dense else 2.0
    original = agreement_kappa._DENSE_SHARE
    agreement_kappa._DENSE_SHARE = share  # choose the product path under test
    try:
        result = cohen_kappa_pairwise(item, rater, value)
    finally:
        agreement_kappa._DENSE_SHARE = original
    codes = {r: i for i, r in enumerate(result.raters.tolist())}
    for a, b in itertools.combinations(np.unique(rater).tolist(), 2):
        shared = (matrix[a] >= 0) & (matrix[b] >= 0)
        i, j = codes[a], codes[b]
        assert result.n_shared[i, j] == result.n_shared[j, i] == shared.sum()
        x, y = matrix[a][shared], matrix[b][shared]
        if shared.sum() < 2 or (len(set(x.tolist()) | set(y.tolist())) == 1):
            assert np.isnan(result.kappa[i, j])
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            expected = cohen_kappa_score(x, y)
        if np.isnan(expected):
            assert np.isnan(result.kappa[i, j])
        else:
            assert result.kappa[i, j] == pytest.approx(expected, abs=1e-9)
            assert result.kappa[j, i] == pytest.approx(expected, abs=1e-9)


def test_cohen_pairs_records_and_labels() -> None:
    item = [1, 1, 2, 2, 3, 3, 3, 4]
    rater = ["ann", "bob", "ann", "bob", "ann", "bob", "cy", "cy"]
    value = ["x", "x", "y", "y", "x", "y", "x", "y"]
    result = cohen_kappa_pairwise(item, rater, value)
    assert result.raters.tolist() == ["ann", "bob", "cy"]
    assert np.isnan(result.kappa[0, 0])
    assert result.n_shared[0, 0] == 3
    records = {(r["rater_a"], r["rater_b"]): r for r in result.pairs()}
    assert records["ann", "bob"]["n_shared"] == 3
    expected = cohen_kappa_score(["x", "y", "x"], ["x", "y", "y"])
    assert records["ann", "bob"]["kappa"] == pytest.approx(expected)
    assert records["ann", "cy"] == {"rater_a": "ann", "rater_b": "cy", "kappa": None, "n_shared": 1}
    assert ("ann", "cy") not in {(r["rater_a"], r["rater_b"]) for r in result.pairs(min_shared=2)}


def test_cohen_rejects_a_repeated_rating() -> None:
    with pytest.raises(ValidationFailed) as error:
        cohen_kappa_pairwise([1, 1, 1], ["ann", "ann", "bob"], ["x", "y", "x"])
    assert error.value.code == "agreement_duplicate_rating"
    assert "ann" in error.value.message


def test_cohen_on_empty_input_has_no_pairs() -> None:
    result = cohen_kappa_pairwise([], [], [])
    assert result.kappa.shape == (0, 0)
    assert result.pairs() == []


def test_fleiss_kappa_table_rejects_bad_tables() -> None:
    with pytest.raises(ValidationFailed):
        fleiss_kappa_table([[1, -1]])
    with pytest.raises(ValidationFailed):
        fleiss_kappa_table([1, 2, 3])
