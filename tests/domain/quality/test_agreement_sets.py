"""Multi-choice alpha with Jaccard and MASI distances."""

from __future__ import annotations

import itertools
from collections.abc import Set

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelcrew.domain.quality.agreement.alpha import krippendorff_alpha
from labelcrew.domain.quality.agreement.sets import set_alpha, set_distances
from labelcrew.errors import ValidationFailed


def distance(a: Set[str], b: Set[str], kind: str) -> float:
    return float(set_distances([frozenset(a), frozenset(b)], kind)[0, 1])  # type: ignore[arg-type]


def test_masi_distances_from_passonneau_2006() -> None:
    # identical; subset (J = 2/3, M = 2/3); overlap (J = 1/3, M = 1/3); disjoint.
    assert distance({"a", "b"}, {"a", "b"}, "masi") == pytest.approx(0.0)
    assert distance({"a", "b"}, {"a", "b", "c"}, "masi") == pytest.approx(1 - 4 / 9)
    assert distance({"a", "b"}, {"b", "c"}, "masi") == pytest.approx(1 - 1 / 9)
    assert distance({"a"}, {"b"}, "masi") == pytest.approx(1.0)
    assert distance(set(), set(), "masi") == pytest.approx(0.0)
    assert distance(set(), {"a"}, "masi") == pytest.approx(1.0)


def test_jaccard_distances() -> None:
    assert distance({"a", "b"}, {"a", "b", "c"}, "jaccard") == pytest.approx(1 / 3)
    assert distance({"a", "b"}, {"b", "c"}, "jaccard") == pytest.approx(2 / 3)
    assert distance(set(), set(), "jaccard") == pytest.approx(0.0)


def brute_force_alpha(units: dict[int, list[frozenset[str]]], kind: str) -> float:
    """Alpha straight from the definition: all ordered pairs of values within a unit."""
    observed, values = 0.0, []
    for ratings in units.values():
        m = len(ratings)
        if m < 2:
            continue
        values.extend(ratings)
        for i, j in itertools.permutations(range(m), 2):
            observed += distance(ratings[i], ratings[j], kind) / (m - 1)
    n = len(values)
    expected = sum([distance(a, b, kind) for a, b in itertools.permutations(values, 2)], 0.0)
    return 1 - (n - 1) * observed / expected if expected else float("nan")


label_sets = st.frozensets(st.sampled_from("abcd"), max_size=3)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 5), label_sets), min_size=0, max_size=25),
    kind=st.sampled_from(["jaccard", "masi"]),
)
def test_set_alpha_matches_the_definition(
    rows: list[tuple[int, frozenset[str]]], kind: str
) -> None:
    units: dict[int, list[frozenset[str]]] = {}
    for unit, labels in rows:
        units.setdefault(unit, []).append(labels)
    expected = brute_force_alpha(units, kind)
    actual = set_alpha([u for u, _ in rows], [s for _, s in rows], kind)  # type: ignore[arg-type]
    if np.isnan(expected):
        assert np.isnan(actual)
    else:
        assert actual == pytest.approx(expected, abs=1e-9)


def test_singletons_reduce_to_nominal_alpha() -> None:
    item = [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]
    value = ["a", "a", "b", "b", "b", "c", "a", "c", "a", "a"]
    nominal = krippendorff_alpha(item, value)
    for kind in ("jaccard", "masi"):
        assert set_alpha(item, [{v} for v in value], kind) == pytest.approx(nominal)


def test_set_alpha_errors() -> None:
    with pytest.raises(ValidationFailed) as error:
        set_alpha([0, 0], ["ab", "a"])
    assert error.value.code == "agreement_bad_set"
    with pytest.raises(ValidationFailed):
        set_alpha([0, 0], [{"a"}, {"b"}], "hamming")  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed):
        set_alpha([0], [{"a"}, {"b"}])
    assert np.isnan(set_alpha([], []))
