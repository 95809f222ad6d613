"""Per-field agreement: the measure of each kind, hand-checked and against reference packages."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelcrew.domain.quality.agreement.alpha import krippendorff_alpha
from labelcrew.domain.quality.agreement.fields import (
    FIELD_MEASURES,
    field_agreement,
    interval_alpha,
    pair_signs,
    rank_positions,
    tau_b_matrix,
)
from labelcrew.domain.quality.agreement.fields_regions import character_alpha
from labelcrew.domain.quality.agreement.fields_text import levenshtein, text_similarity
from labelcrew.domain.quality.agreement.sets import (
    distance_alpha,
    set_alpha,
    set_cross_distances,
)
from labelcrew.domain.quality.agreement.structured import kendall_tau
from labelcrew.domain.schema.label_schema import KINDS, LabelSchema
from labelcrew.errors import ValidationFailed

SCHEMA = LabelSchema.parse(
    {
        "fields": [
            {"name": "topic", "kind": "single_choice", "options": ["a", "b", "c"]},
            {"name": "severity", "kind": "rating", "min": 1, "max": 5, "step": 1},
            {"name": "score", "kind": "rating", "min": 0, "max": 1},
            {"name": "tags", "kind": "multi_choice", "options": ["x", "y", "z"]},
            {"name": "order", "kind": "ranking", "candidates": 3},
            {"name": "tied", "kind": "ranking", "candidates": 3, "allow_ties": True},
            {"name": "entities", "kind": "spans", "labels": ["PER", "ORG"]},
            {"name": "boxes", "kind": "bbox", "labels": ["car", "bus"]},
            {"name": "strict", "kind": "bbox", "labels": ["car"], "iou_threshold": 0.7},
            {"name": "note", "kind": "text"},
        ]
    }
)


def agree(name: str, rows: list[tuple[Any, Any, Any]]) -> Any:
    item, rater, value = zip(*rows, strict=True) if rows else ((), (), ())
    return field_agreement(SCHEMA.field(name), item, rater, value)


def span(start: int, end: int, label: str = "PER") -> dict[str, Any]:
    return {"start": start, "end": end, "label": label}


def box(x: float, y: float, w: float, h: float, label: str = "car") -> dict[str, Any]:
    return {"x": x, "y": y, "w": w, "h": h, "label": label}


def reference(matrix: np.ndarray, level: Any) -> float:
    """krippendorff.alpha of a raters x units matrix (NaN = missing); NaN where undefined."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return float(krippendorff.alpha(matrix, level_of_measurement=level))
    except ValueError:
        return float("nan")


def same(actual: float | None, expected: float) -> bool:
    if np.isnan(expected):
        return actual is None or bool(np.isnan(actual))
    return actual is not None and abs(actual - expected) < 1e-9


def test_every_kind_has_a_named_measure() -> None:
    assert set(FIELD_MEASURES) == set(KINDS)


def test_single_choice_by_hand() -> None:
    # i1: a, a; i2: b, c. o[a,a] = 2, o[b,c] = o[c,b] = 1; n = 4, n_a = 2, n_b = n_c = 1.
    # alpha = 1 - (n-1) * sum(o d) / (n^2 - sum n_c^2) = 1 - 3 * 2 / (16 - 6) = 0.4.
    # Percent: (1 + 0) / 2. Fleiss: pi = (.5, .25, .25), p_e = .375, (0.5 - .375) / .625 = 0.2.
    result = agree(
        "topic", [("i1", "A", "a"), ("i1", "B", "a"), ("i2", "A", "b"), ("i2", "B", "c")]
    )
    assert result.measure == "alpha_nominal"
    assert result.value == pytest.approx(0.4)
    assert result.extra == pytest.approx({"percent_agreement": 0.5, "fleiss_kappa": 0.2})
    # One-vs-rest: "a" is perfectly reliable; b and c each: o[c, not c] = 1, n_c = 1,
    # 1 - 3 * 1 / (1 * 3) = 0.
    assert result.per_label == pytest.approx({"a": 1.0, "b": 0.0, "c": 0.0})
    assert (result.n_items, result.n_ratings) == (2, 4)


matrices = st.integers(2, 3).flatmap(
    lambda k: st.lists(
        st.lists(st.integers(-1, k - 1), min_size=2, max_size=8), min_size=2, max_size=4
    ).filter(lambda rows: len({len(r) for r in rows}) == 1)
)


def long_rows(codes: list[list[int]], to_value: Callable[[int], Any]) -> list[tuple]:
    return [
        (unit, rater, to_value(code))
        for rater, row in enumerate(codes)
        for unit, code in enumerate(row)
        if code >= 0
    ]


@settings(max_examples=60, deadline=None)
@given(codes=matrices)
def test_single_choice_and_rating_match_the_krippendorff_package(codes: list[list[int]]) -> None:
    matrix = np.where(np.array(codes) < 0, np.nan, np.array(codes, dtype=float))
    topic = agree("topic", long_rows(codes, lambda c: "abc"[c]))
    assert same(topic.value, reference(matrix, "nominal"))
    severity = agree("severity", long_rows(codes, lambda c: c + 1))
    assert same(severity.value, reference(matrix + 1, "interval"))
    assert same(severity.extra.get("ordinal_alpha", np.nan), reference(matrix + 1, "ordinal"))


def test_rating_by_hand() -> None:
    # i1: 4, 3; i2: 2, 2. Within-unit ordered pairs: 2 * (4-3)^2 / (2-1) = 2. All ordered pairs
    # of 4, 3, 2, 2: 2 * (1 + 4 + 4 + 1 + 1 + 0) = 22. Interval alpha = 1 - 3 * 2 / 22 = 8/11.
    # Mid-ranks: 2 -> 1, 3 -> 2.5, 4 -> 3.5; within 2 * 1^2 = 2, all 2 * (1 + 6.25 * 2 + 2.25 * 2)
    # = 36; ordinal alpha = 1 - 3 * 2 / 36 = 5/6. Percent: (0 + 1) / 2.
    result = agree("severity", [("i1", "A", 4), ("i1", "B", 3), ("i2", "A", 2), ("i2", "B", 2)])
    assert result.measure == "alpha_interval"
    assert result.value == pytest.approx(8 / 11)
    assert result.extra == pytest.approx({"ordinal_alpha": 5 / 6, "percent_agreement": 0.5})


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 6), st.floats(-50, 50, allow_nan=False)), min_size=0, max_size=30
    )
)
def test_closed_form_interval_alpha_equals_the_coincidence_kernel(rows: list) -> None:
    units = np.array([u for u, _ in rows], dtype=np.intp)
    values = np.array([round(v, 3) for _, v in rows])
    expected = krippendorff_alpha(units, values, "interval") if rows else float("nan")
    actual = interval_alpha(units, values)
    assert (np.isnan(actual) and np.isnan(expected)) or actual == pytest.approx(expected, abs=1e-7)


def test_free_rating_with_more_distinct_values_than_the_dense_kernel_allows() -> None:
    rng = np.random.default_rng(3)
    truth = rng.random(3000)
    rows = [
        (i, r, float(np.clip(truth[i] + rng.normal(0, 0.05), 0, 1)))
        for i in range(3000)
        for r in range(2)
    ]
    result = agree("score", rows)  # 6000 distinct values: krippendorff_alpha would refuse
    assert 0.8 < result.value < 1.0


def test_multi_choice_masi_by_hand() -> None:
    # i1: {x} vs {x, y}: J = 1/2, M = 2/3 (subset), d = 1 - 1/3 = 2/3. i2: {} vs {z}: d = 1.
    # Observed (ordered pairs, m - 1 = 1): 2 * 2/3 + 2 * 1 = 10/3. All pairs of the four sets:
    # 2/3 once, 1 five times -> ordered 2 * 17/3 = 34/3. alpha = 1 - 3 * (10/3) / (34/3) = 2/17.
    # Jaccard: d({x}, {x,y}) = 1/2: observed 3, all 2 * 5.5 = 11, alpha = 1 - 9/11 = 2/11.
    rows = [("i1", "A", ["x"]), ("i1", "B", ["x", "y"]), ("i2", "A", []), ("i2", "B", ["z"])]
    result = agree("tags", rows)
    assert result.measure == "alpha_masi"
    assert result.value == pytest.approx(2 / 17)
    assert result.extra == pytest.approx({"jaccard_alpha": 2 / 11})
    # x: present (1, 1), absent (0, 0): perfect. y: (0, 1), (0, 0): o[0,1] = 1, n_0 = 3, n_1 = 1:
    # 1 - 3 * 2 / (16 - 10) = 0. z the same as y.
    assert result.per_label == pytest.approx({"x": 1.0, "y": 0.0, "z": 0.0})


def test_masi_distances_by_hand() -> None:
    def d(a: str, b: str) -> float:
        return float(set_cross_distances([frozenset(a)], [frozenset(b)], "masi")[0, 0])

    assert d("ab", "ab") == 0.0
    assert d("ab", "abc") == pytest.approx(1 - (2 / 3) * (2 / 3))  # J = 2/3, subset M = 2/3
    assert d("ab", "bc") == pytest.approx(1 - (1 / 3) * (1 / 3))  # J = 1/3, overlap M = 1/3
    assert d("a", "b") == 1.0
    assert d("", "") == 0.0


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 5), st.frozensets(st.sampled_from("xyz"))), max_size=25),
    kind=st.sampled_from(["masi", "jaccard"]),
)
def test_distance_alpha_with_a_set_distance_is_set_alpha(rows: list, kind: Any) -> None:
    units = np.array([u for u, _ in rows], dtype=np.intp)
    sets = [s for _, s in rows]
    expected = set_alpha(units, sets, kind)
    actual = distance_alpha(units, sets, lambda a, b: set_cross_distances(a, b, kind))
    assert (np.isnan(actual) and np.isnan(expected)) or actual == pytest.approx(expected, abs=1e-9)


def test_ranking_by_hand() -> None:
    # i1: [0,1,2] vs [1,0,2]: one of three pairs discordant, tau = 1/3, d = 1/3. i2: [2,1,0] twice.
    # d([0,1,2], [2,1,0]) = 1 (reversed), d([1,0,2], [2,1,0]) = (1 - (-1/3)) / 2 = 2/3.
    # Observed: 2 * 1/3. All ordered pairs: 2 * (1/3 + 2 * 1 + 2 * 2/3 + 0) = 22/3.
    # alpha = 1 - 3 * (2/3) / (22/3) = 8/11; mean tau = (1/3 + 1) / 2 = 2/3.
    rows = [("i1", "A", [0, 1, 2]), ("i1", "B", [1, 0, 2])]
    rows += [("i2", "A", [2, 1, 0]), ("i2", "B", [2, 1, 0])]
    result = agree("order", rows)
    assert result.measure == "alpha_kendall_tau"
    assert result.value == pytest.approx(8 / 11)
    assert result.extra == pytest.approx({"mean_kendall_tau": 2 / 3})


tied_rankings = st.permutations([0, 1, 2]).flatmap(
    lambda order: st.lists(st.booleans(), min_size=2, max_size=2).map(
        lambda cuts: _groups(list(order), cuts)
    )
)


def _groups(order: list[int], cuts: list[bool]) -> list[list[int]]:
    groups = [[order[0]]]
    for candidate, cut in zip(order[1:], cuts, strict=True):
        if cut:
            groups.append([candidate])
        else:
            groups[-1].append(candidate)
    return [sorted(g) for g in groups]


@settings(max_examples=80, deadline=None)
@given(a=tied_rankings, b=tied_rankings)
def test_tau_b_of_pair_signs_is_kendalls_tau_b(a: list, b: list) -> None:
    field = SCHEMA.field("tied")
    x, y = rank_positions(field, a), rank_positions(field, b)
    ours = tau_b_matrix(pair_signs(x[None]), pair_signs(y[None]))[0, 0]
    theirs = kendall_tau(x, y)
    if np.isnan(theirs):
        assert np.isnan(ours) or (a == b and ours == 1.0)
    else:
        assert ours == pytest.approx(theirs, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2), tied_rankings), max_size=15))
def test_ranking_alpha_matches_the_krippendorff_package_with_a_custom_metric(rows: list) -> None:
    field = SCHEMA.field("tied")
    unique = {(u, r): v for u, r, v in rows}  # one answer per (item, rater)
    result = agree("tied", [(u, r, v) for (u, r), v in unique.items()])
    domain = list(dict.fromkeys(field.agreement_value(v) for v in unique.values()))
    signs = pair_signs(np.stack([rank_positions(field, v) for v in domain])) if domain else None
    counts = np.zeros((5, max(len(domain), 1)))
    for (u, _), v in unique.items():
        counts[u, domain.index(field.agreement_value(v))] += 1
    if signs is None or len(domain) < 2 or (counts.sum(axis=1) < 2).all():
        assert result.value is None
        return
    distance = (1 - np.nan_to_num(tau_b_matrix(signs, signs), nan=0.0)) / 2
    assert (np.diag(distance) == 0).all()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # 0/0 where the pairable rankings are all equal
        expected = float(
            krippendorff.alpha(
                value_counts=counts,
                value_domain=np.arange(len(domain)),
                level_of_measurement=lambda v1, v2, i1, i2, n_v, dtype: distance[i1, i2],
            )
        )
    assert same(result.value, expected)


def test_spans_by_hand() -> None:
    # i1: [0,4) vs [1,4) PER: IoU 3/4 >= 0.5, matched, F1 = 1. i2: nothing vs [2,5) ORG: F1 = 0.
    # Mean F1 0.5; exact F1 0 on both. Per label: PER 2*1/2 = 1, ORG 0/1 = 0.
    # Characters: i1 (L = 4) p0 (PER, none), p1-3 (PER, PER); i2 (L = 5) p0-1 (none, none),
    # p2-4 (none, ORG). o[PER,none] = 1, o[none,ORG] = 3 (both ways), o[PER,PER] = 6,
    # o[none,none] = 4; n_PER = 7, n_none = 8, n_ORG = 3, n = 18.
    # alpha = 1 - 17 * 2 * (1 + 3) / (18^2 - 49 - 64 - 9) = 1 - 136/202 = 33/101.
    rows = [("i1", "A", [span(0, 4)]), ("i1", "B", [span(1, 4)])]
    rows += [("i2", "A", []), ("i2", "B", [span(2, 5, "ORG")])]
    result = agree("entities", rows)
    assert result.measure == "pairwise_f1_iou"
    assert result.value == pytest.approx(0.5)
    assert result.per_label == pytest.approx({"PER": 1.0, "ORG": 0.0})
    assert result.extra == pytest.approx({"exact_f1": 0.0, "character_alpha": 33 / 101})


def test_span_match_needs_iou_of_one_half_and_the_same_label() -> None:
    half = agree("entities", [(1, "A", [span(0, 2)]), (1, "B", [span(0, 4)])])  # 2/4
    third = agree("entities", [(1, "A", [span(0, 2)]), (1, "B", [span(1, 3)])])  # 1/3
    other = agree("entities", [(1, "A", [span(0, 4)]), (1, "B", [span(0, 4, "ORG")])])
    assert (half.value, third.value, other.value) == (1.0, 0.0, 0.0)
    both_empty = agree("entities", [(1, "A", []), (1, "B", [])])
    assert both_empty.value == 1.0 and "character_alpha" not in both_empty.extra


@settings(max_examples=60, deadline=None)
@given(
    answers=st.lists(
        st.lists(
            st.tuples(st.integers(0, 8), st.integers(1, 4), st.sampled_from(["P", "O"])),
            max_size=3,
        ),
        min_size=2,
        max_size=3,
    )
)
def test_character_alpha_is_nominal_alpha_of_the_expanded_positions(answers: list) -> None:
    spans = [[span(s, s + n, lab) for s, n, lab in value] for value in answers]
    rows = {"doc": [(r, value) for r, value in enumerate(spans)]}
    length = max((s["end"] for value in spans for s in value), default=0)
    # Position p of annotator r has the value {labels of r's spans covering p}, coded 0 (none),
    # 1 (P), 2 (O) or 3 (both, where r's spans overlap).
    matrix = np.zeros((len(spans), max(length, 1)))
    for r, value in enumerate(spans):
        for p in range(length):
            covering = {s["label"] for s in value if s["start"] <= p < s["end"]}
            matrix[r, p] = ("P" in covering) + 2 * ("O" in covering)
    expected = reference(matrix, "nominal") if length else float("nan")
    assert same(character_alpha(rows), expected)


def test_boxes_by_hand() -> None:
    # (0,0,10,10) vs (2,0,10,10): intersection 8 x 10 = 80, union 200 - 80 = 120, IoU 2/3.
    result = agree("boxes", [(1, "A", [box(0, 0, 10, 10)]), (1, "B", [box(2, 0, 10, 10)])])
    assert result.value == 1.0
    assert result.extra == pytest.approx({"mean_iou": 2 / 3})
    assert (
        agree("strict", [(1, "A", [box(0, 0, 10, 10)]), (1, "B", [box(2, 0, 10, 10)])]).value == 0
    )
    # One to one: two copies of a box match one box once, F1 = 2 * 1 / (2 + 1).
    twice = agree("boxes", [(1, "A", [box(0, 0, 4, 4)] * 2), (1, "B", [box(0, 0, 4, 4)])])
    assert twice.value == pytest.approx(2 / 3)
    assert (
        agree("boxes", [(1, "A", [box(0, 0, 4, 4)]), (1, "B", [box(0, 0, 4, 4, "bus")])]).value == 0
    )


def test_box_matching_takes_the_most_pairs_not_the_greedy_best() -> None:
    # a1 overlaps b1 best (IoU 0.9) and b2 (0.8); a2 overlaps only b1 (0.6). Greedy by IoU pairs
    # a1-b1 and leaves a2 alone (F1 = 2/4); the assignment pairs a1-b2 and a2-b1 (F1 = 1).
    a1, b1, b2, a2 = box(0, 0, 10, 10), box(0, 0, 10, 9), box(0, 1, 10, 8), box(0, 0, 10, 6)
    result = agree("boxes", [(1, "A", [a1, a2]), (1, "B", [b1, b2])])
    assert result.value == 1.0
    assert result.extra["mean_iou"] == pytest.approx((0.8 + 0.6 / 0.9) / 2)


def test_text_by_hand() -> None:
    # "Hello  World" and "hello world!" normalise to "hello world" (11) and "hello world!" (12):
    # one insertion, 1 - 1/12.
    result = agree("note", [(1, "A", "Hello  World"), (1, "B", "hello world!")])
    assert result.measure == "mean_levenshtein_similarity"
    assert result.value == pytest.approx(11 / 12)
    assert result.extra == {"exact_agreement": 0.0}
    assert levenshtein("kitten", "sitting") == 3
    assert text_similarity("kitten", "sitting") == pytest.approx(1 - 3 / 7)
    assert text_similarity("", "  ") == 1.0


def wagner_fischer(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            )
        previous = current
    return previous[-1]


@settings(max_examples=200, deadline=None)
@given(a=st.text("abcé ", max_size=70), b=st.text("abcé ", max_size=70))
def test_bit_vector_levenshtein_is_the_dynamic_programme(a: str, b: str) -> None:
    # 70 characters cross a 64-bit word: Python integers have no width, but check it anyway.
    assert levenshtein(a, b) == wagner_fischer(a, b) == levenshtein(b, a)


def test_absent_values_duplicates_and_nothing_pairable() -> None:
    result = agree("topic", [(1, "A", "a"), (1, "B", None), (2, "A", "b")])
    assert (result.value, result.n_items, result.n_ratings, result.extra) == (None, 0, 0, {})
    with pytest.raises(ValidationFailed) as error:
        agree("topic", [(1, "A", "a"), (1, "A", "b")])
    assert error.value.code == "agreement_duplicate_rating"
    empty = agree("entities", [])
    assert empty.value is None and empty.per_label == {}
