"""Dynamic overlap looks at every required field (issue 16)."""

from __future__ import annotations

from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.domain.work.overlap import DynamicOverlap
from labelcrew.domain.work.overlap_fields import fields_below_target

SCHEMA = LabelSchema.parse(
    {
        "fields": [
            {"name": "topic", "kind": "single_choice", "options": ["a", "b"]},
            {"name": "order", "kind": "ranking", "candidates": 3},
            {"name": "note", "kind": "text", "required": False},
            {"name": "tags", "kind": "multi_choice", "options": ["x", "y"], "required": False},
        ]
    }
)
POLICY = DynamicOverlap(target_confidence=0.9, min_overlap=2, max_overlap=4)
ONE = {"topic": "a", "order": [0, 1, 2], "note": "one", "tags": ["x"]}


def test_under_the_minimum_always_asks_and_at_the_maximum_never() -> None:
    assert fields_below_target(POLICY, SCHEMA, [ONE], [None]) == ["*"]
    split = [ONE, {**ONE, "order": [2, 1, 0]}] * 2
    assert fields_below_target(POLICY, SCHEMA, split, [None] * 4) == []


def test_agreement_everywhere_but_free_text_and_an_optional_field_is_enough() -> None:
    # two agreeing topic labels at the default accuracy 0.7: posterior 0.49/(0.49+0.09) = 0.845
    assert fields_below_target(POLICY, SCHEMA, [ONE, ONE], [None, None]) == ["topic"]
    other = {**ONE, "note": "two", "tags": ["y"]}
    assert fields_below_target(POLICY, SCHEMA, [ONE, other], [0.9, 0.9]) == []


def test_a_ranking_split_is_below_target_whatever_the_topic_posterior() -> None:
    other = {**ONE, "order": [1, 0, 2]}
    assert fields_below_target(POLICY, SCHEMA, [ONE, other], [0.95, 0.95]) == ["order"]
    assert fields_below_target(POLICY, SCHEMA, [ONE, other, ONE], [0.95] * 3) == ["order"]
