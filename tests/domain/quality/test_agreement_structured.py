"""Span F1 and Kendall's tau."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import kendalltau

from labelcrew.domain.quality.agreement.structured import kendall_tau, ranking_tau, span_f1
from labelcrew.errors import ValidationFailed


def span(start: int, end: int, label: str = "PER") -> dict[str, object]:
    return {"start": start, "end": end, "label": label}


def test_exact_span_f1() -> None:
    a = [span(0, 5), span(10, 15, "ORG"), span(20, 25)]
    b = [span(0, 5), span(10, 15, "PER")]
    # one exact match; P = 1/2, R = 1/3, F1 = 2 * 1 / (3 + 2)
    assert span_f1(a, b) == pytest.approx({"precision": 0.5, "recall": 1 / 3, "f1": 0.4})
    assert span_f1(b, a)["f1"] == pytest.approx(0.4)


def test_overlap_span_f1() -> None:
    a = [span(0, 5), span(10, 15, "ORG"), span(20, 25)]
    b = [span(3, 8), span(12, 14, "ORG"), span(25, 30)]  # (25, 30) only touches (20, 25)
    result = span_f1(a, b, "overlap")
    assert result == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3})
    assert span_f1(a, b, "exact")["f1"] == 0.0


def test_span_f1_empty_lists() -> None:
    assert span_f1([], [])["f1"] == 1.0
    assert span_f1([span(0, 1)], [])["f1"] == 0.0


@pytest.mark.parametrize(
    "bad", [[{"start": 0, "end": 0, "label": "X"}], [{"start": 0, "label": "X"}], ["x"]]
)
def test_bad_spans_name_the_position(bad: list[object]) -> None:
    with pytest.raises(ValidationFailed) as error:
        span_f1([span(0, 1)], bad)  # type: ignore[arg-type]
    assert error.value.field == "spans_b[0]"


def test_unknown_match_mode() -> None:
    with pytest.raises(ValidationFailed):
        span_f1([span(0, 1)], [span(0, 1)], "fuzzy")  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=2, max_size=40))
def test_kendall_tau_b_matches_scipy(pairs: list[tuple[int, int]]) -> None:
    x, y = np.array(pairs).T
    expected = kendalltau(x, y).statistic
    actual = kendall_tau(x, y)
    if np.isnan(expected):
        assert np.isnan(actual)
    else:
        assert actual == pytest.approx(expected, abs=1e-12)


def test_kendall_tau_blocks_on_long_rankings() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 50, 1500)
    y = x + rng.integers(0, 30, 1500)
    assert kendall_tau(x, y) == pytest.approx(kendalltau(x, y).statistic, abs=1e-12)


def test_kendall_tau_edge_cases() -> None:
    assert np.isnan(kendall_tau([1], [2]))
    assert np.isnan(kendall_tau([1, 1, 1], [1, 2, 3]))
    with pytest.raises(ValidationFailed):
        kendall_tau([1, 2], [1, 2, 3])


def test_ranking_tau_on_ordered_ids() -> None:
    assert ranking_tau(["a", "b", "c", "d"], ["a", "b", "c", "d"]) == pytest.approx(1.0)
    assert ranking_tau(["a", "b", "c"], ["c", "b", "a"]) == pytest.approx(-1.0)
    # "x" and "y" are ranked by one side only and left out.
    assert ranking_tau(["a", "x", "b", "c"], ["b", "a", "c", "y"]) == pytest.approx(1 / 3)
    with pytest.raises(ValidationFailed):
        ranking_tau(["a", "a"], ["a"])
