"""Consensus of each field kind (`domain.aggregation.fields`): identical labels give that
label with confidence 1 for every kind, and hand-checked splits give what the rules say."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelcrew.domain.aggregation.fields import field_consensus
from labelcrew.domain.schema.label_schema import LabelSchema

SCHEMA = LabelSchema.parse(
    {
        "fields": [
            {"name": "tags", "kind": "multi_choice", "options": ["a", "b", "c"]},
            {"name": "severity", "kind": "rating", "min": 1, "max": 5, "step": 1},
            {"name": "order", "kind": "ranking", "candidates": 4},
            {"name": "tiers", "kind": "ranking", "candidates": 3, "allow_ties": True},
            {"name": "entities", "kind": "spans", "labels": ["PER", "ORG"]},
            {"name": "boxes", "kind": "bbox", "labels": ["car", "person"]},
        ]
    }
)
F = {f.name: f for f in SCHEMA.fields}
span = st.tuples(st.integers(0, 50), st.integers(1, 20), st.sampled_from(["PER", "ORG"]))
box = st.tuples(*(st.integers(0, 200) for _ in range(2)), *(st.integers(1, 80) for _ in range(2)))
VALUES: dict[str, Any] = {
    "tags": st.lists(st.sampled_from("abc"), unique=True),
    "severity": st.integers(1, 5),
    "order": st.permutations([0, 1, 2, 3]),
    "tiers": st.sampled_from([[[0], [1], [2]], [[0, 1], [2]], [[2], [0, 1]], [[0, 1, 2]]]),
    "entities": st.lists(span, max_size=3, unique_by=lambda s: s[0]).map(
        lambda xs: [{"start": s * 30, "end": s * 30 + n, "label": lab} for s, n, lab in xs]
    ),
    "boxes": st.lists(box, max_size=3).map(
        lambda xs: [
            {"x": x + 300 * k, "y": y, "w": w, "h": h, "label": "car"}
            for k, (x, y, w, h) in enumerate(xs)
        ]
    ),
}


@settings(deadline=None, max_examples=40)
@given(data=st.data(), n=st.integers(1, 5))
def test_identical_labels_give_that_label_with_confidence_one(data, n) -> None:
    for name, strategy in VALUES.items():
        value = F[name].validate(data.draw(strategy), name, {"text": "x" * 2000})
        (result,) = field_consensus(F[name], [(1, w, value) for w in range(n)]).values()
        assert result.confidence == 1.0 and not result.tied, name
        assert F[name].agreement_value(result.value) == F[name].agreement_value(value), name


def test_a_rating_split_four_against_three_is_a_tie_at_one_half() -> None:
    (r,) = field_consensus(F["severity"], [(1, 1, 4), (1, 2, 3)]).values()
    assert (r.value, r.confidence, r.tied) == (3, 0.5, True)
    (r,) = field_consensus(F["severity"], [(1, 1, 4), (1, 2, 3), (1, 3, 4)]).values()
    assert (r.value, r.confidence, r.tied) == (4, 2 / 3, False)


def test_multi_choice_keeps_the_options_more_than_half_chose() -> None:
    answers = [(1, 1, ["a", "b"]), (1, 2, ["a"]), (1, 3, ["a", "c"])]
    (r,) = field_consensus(F["tags"], answers).values()
    # a: 3/3 chosen; b: 2/3 not chosen; c: 2/3 not chosen -> lowest winning share 2/3
    assert (r.value, r.confidence, r.tied) == (["a"], 2 / 3, False)


def test_borda_orders_by_mean_position_and_scores_pair_agreement() -> None:
    answers = [(1, 1, [0, 1, 2, 3]), (1, 2, [0, 1, 2, 3]), (1, 3, [1, 0, 2, 3])]
    (r,) = field_consensus(F["order"], answers).values()
    assert r.value == [0, 1, 2, 3] and r.method == "borda"
    # six candidate pairs: the first two agree on all six, the third on five
    assert r.confidence == (1 + 1 + 5 / 6) / 3


def test_regions_marked_by_more_than_half_are_kept_with_their_counts() -> None:
    per = {"start": 0, "end": 4, "label": "PER"}
    org = {"start": 10, "end": 16, "label": "ORG"}
    answers = [(1, 1, [per]), (1, 2, [{**per, "end": 5}]), (1, 3, [per, org])]
    (r,) = field_consensus(F["entities"], answers).values()
    assert r.value == [per]  # median end of 4, 5, 4 is 4; ORG by one of three is dropped
    assert r.detail["regions"][0]["count"] == 3 and r.detail["dropped"] == 1
    assert r.confidence == pytest.approx(2 / 3)  # the dropped cluster's 1 - 1/3


def test_boxes_a_few_pixels_apart_cluster_into_one() -> None:
    car = {"x": 10, "y": 10, "w": 100, "h": 50, "label": "car"}
    answers = [(1, 1, [car]), (1, 2, [{**car, "x": 14}])]
    (r,) = field_consensus(F["boxes"], answers).values()
    assert r.confidence == 1.0 and r.value[0]["x"] == 12 and r.value[0]["w"] == 100
    apart = [(1, 1, [car]), (1, 2, [{**car, "x": 300}])]
    (r,) = field_consensus(F["boxes"], apart).values()
    assert r.value == [] and r.tied and r.confidence == 0.5
