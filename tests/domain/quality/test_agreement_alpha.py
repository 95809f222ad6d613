"""Krippendorff's alpha against the `krippendorff` package and Krippendorff's own example."""

from __future__ import annotations

import warnings
from typing import Any

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from labelcrew.domain.quality.agreement import data as agreement_data
from labelcrew.domain.quality.agreement.alpha import LEVELS, krippendorff_alpha, per_label_alpha
from labelcrew.errors import ValidationFailed

NAN = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# 4 observers x 12 units with missing data.
RELIABILITY_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)


def long_format(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(item, rater, value) rows of a raters x units matrix whose missing cells are NaN."""
    rater, item = np.nonzero(~np.isnan(matrix))
    return item, rater, matrix[rater, item]


def reference_alpha(matrix: np.ndarray, level: str) -> float:
    """krippendorff.alpha, with its "undefined" exceptions and 0/0 mapped to NaN."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return float(krippendorff.alpha(matrix, level_of_measurement=level))  # type: ignore[arg-type]
    except ValueError:
        return NAN


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_worked_example(level: str, published: float) -> None:
    item, _, value = long_format(RELIABILITY_2011)
    alpha = krippendorff_alpha(item, value, level)
    assert alpha == pytest.approx(published, abs=5e-4)
    assert alpha == pytest.approx(reference_alpha(RELIABILITY_2011, level), abs=1e-12)


def test_integer_and_float_values_give_the_same_alpha() -> None:
    item, _, value = long_format(RELIABILITY_2011)
    for level in LEVELS:
        assert krippendorff_alpha(item, value.astype(int), level) == pytest.approx(
            krippendorff_alpha(item, value, level), abs=1e-12
        )


reliability_matrices = st.integers(2, 6).flatmap(
    lambda categories: hnp.arrays(
        np.int64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
        elements=st.integers(-1, categories - 1),
    )
)


@settings(max_examples=150, deadline=None)
@given(codes=reliability_matrices, level=st.sampled_from(LEVELS), scale=st.sampled_from([1.0, 0.5]))
def test_matches_krippendorff_package_with_missing_values(
    codes: np.ndarray, level: str, scale: float
) -> None:
    matrix = np.where(codes < 0, NAN, codes * scale + 1.0)  # -1 codes a missing rating
    item, _, value = long_format(matrix)
    expected = reference_alpha(matrix, level)
    actual = krippendorff_alpha(item, value, level)
    if np.isnan(expected):
        assert np.isnan(actual)
    else:
        assert actual == pytest.approx(expected, abs=1e-9)


def test_large_random_data_matches_package_to_1e9() -> None:
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 5, 2000)
    codes = np.where(rng.random((30, 2000)) < 0.6, truth, rng.integers(0, 5, (30, 2000)))
    matrix = np.where(rng.random(codes.shape) < 0.2, NAN, codes)
    item, _, value = long_format(matrix)
    for level in LEVELS:
        got = krippendorff_alpha(item, value.astype(np.int64), level)
        assert got == pytest.approx(reference_alpha(matrix, level), abs=1e-9)


def test_sparse_count_table_gives_the_same_alpha(monkeypatch: pytest.MonkeyPatch) -> None:
    item, _, value = long_format(RELIABILITY_2011)
    dense = {level: krippendorff_alpha(item, value, level) for level in LEVELS}
    monkeypatch.setattr(agreement_data, "_DENSE_CELLS", 0)
    for level in LEVELS:
        assert krippendorff_alpha(item, value, level) == pytest.approx(dense[level], abs=1e-12)


def test_item_ids_need_not_be_dense_or_numeric() -> None:
    item, _, value = long_format(RELIABILITY_2011)
    expected = krippendorff_alpha(item, value)
    assert krippendorff_alpha(item * 1_000_003 + 17, value) == pytest.approx(expected)
    assert krippendorff_alpha(np.array([f"doc-{i}" for i in item]), value) == pytest.approx(
        expected
    )


def test_string_labels_at_nominal_level() -> None:
    item, _, value = long_format(RELIABILITY_2011)
    names = np.array(["a", "b", "c", "d", "e"])[value.astype(int) - 1]
    assert krippendorff_alpha(item, names) == pytest.approx(krippendorff_alpha(item, value))
    with pytest.raises(ValidationFailed) as error:
        krippendorff_alpha(item, names, "interval")
    assert error.value.code == "agreement_not_numeric"


def test_perfect_agreement_with_variation_is_one() -> None:
    assert krippendorff_alpha([0, 0, 1, 1], [3, 3, 5, 5], "interval") == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("item", "value"),
    [
        ([], []),  # empty input
        ([0, 1, 2], [1, 2, 3]),  # a single rater: no unit is pairable
        ([0, 0, 1, 1, 2], [4, 4, 4, 4, 7]),  # every pairable value agrees on one value
    ],
)
def test_undefined_alpha_is_nan(item: list[int], value: list[int]) -> None:
    for level in LEVELS:
        assert np.isnan(krippendorff_alpha(item, value, level))


def test_structural_errors_raise_validation_failed() -> None:
    cases: list[tuple[tuple[Any, ...], str]] = [
        (([0, 1], [1]), "agreement_length_mismatch"),
        (([0, 0], [1.0, NAN]), "agreement_not_finite"),
        (([0, 0], [1, -2], "ratio"), "agreement_negative_ratio"),
        (([0, 0], [1, 2], "cardinal"), "agreement_bad_level"),
        ((np.zeros(5000, int), np.arange(5000) * 0.5), "agreement_too_many_values"),
    ]
    for args, code in cases:
        with pytest.raises(ValidationFailed) as error:
            krippendorff_alpha(*args)
        assert error.value.code == code


@settings(max_examples=60, deadline=None)
@given(codes=reliability_matrices)
def test_per_label_alpha_is_nominal_alpha_of_the_binarised_data(codes: np.ndarray) -> None:
    matrix = np.where(codes < 0, NAN, codes)
    item, _, value = long_format(matrix)
    per_label = per_label_alpha(item, value)
    for label, alpha in per_label.items():
        binary = np.where(np.isnan(matrix), NAN, (matrix == label).astype(float))
        expected = reference_alpha(binary, "nominal")
        if np.isnan(expected):
            assert np.isnan(alpha)
        else:
            assert alpha == pytest.approx(expected, abs=1e-9)
