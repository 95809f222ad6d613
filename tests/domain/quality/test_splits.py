"""Field-by-field splits of an item's labels: the seven-field case of issue 16, where two
annotators agree on the topic and disagree on everything else."""

from __future__ import annotations

from labelcrew.domain.quality.splits import disagreeing, field_splits
from labelcrew.domain.schema.label_schema import LabelSchema

SCHEMA = LabelSchema.parse(
    {
        "fields": [
            {"name": "topic", "kind": "single_choice", "options": ["sport", "politics"]},
            {"name": "tags", "kind": "multi_choice", "options": ["a", "b", "c"]},
            {"name": "severity", "kind": "rating", "min": 1, "max": 5, "step": 1},
            {"name": "order", "kind": "ranking", "candidates": 3},
            {"name": "entities", "kind": "spans", "labels": ["PER", "ORG"]},
            {"name": "boxes", "kind": "bbox", "labels": ["car"]},
            {"name": "note", "kind": "text", "required": False},
        ]
    }
)
CAR = {"x": 10, "y": 10, "w": 100, "h": 50, "label": "car"}
FIRST = {
    "topic": "sport",
    "tags": ["a"],
    "severity": 4,
    "order": [0, 1, 2],
    "entities": [{"start": 0, "end": 5, "label": "PER"}],
    "boxes": [CAR],
    "note": "fine",
}


def test_two_annotators_who_agree_only_on_the_topic_split_on_every_other_compared_field() -> None:
    second = {
        **FIRST,
        "tags": ["a", "b"],
        "severity": 3,
        "order": [1, 0, 2],
        "entities": [{"start": 0, "end": 5, "label": "ORG"}],
        "boxes": [{**CAR, "x": 300}],
        "note": "looks fine to me",
    }
    splits = {s.field: s for s in field_splits(SCHEMA, [FIRST, second])}
    assert splits["topic"].agrees and splits["topic"].share == 1.0
    assert "note" not in splits  # free text is reported, never compared
    for name in ("tags", "severity", "order", "entities", "boxes"):
        assert not splits[name].agrees, name
        assert splits[name].groups == 2 and splits[name].share == 0.5
    assert [s.field for s in disagreeing(SCHEMA, [FIRST, second])] == [
        "tags", "severity", "order", "entities", "boxes"
    ]  # fmt: skip


def test_a_box_a_few_pixels_off_agrees_by_the_fields_own_iou_rule() -> None:
    second = {**FIRST, "boxes": [{**CAR, "x": 13, "w": 98}]}
    assert disagreeing(SCHEMA, [FIRST, second]) == []


def test_three_labels_two_against_one_give_the_majority_share() -> None:
    third = {**FIRST, "severity": 2}
    (split,) = disagreeing(SCHEMA, [FIRST, FIRST, third])
    assert (split.field, split.groups, split.largest) == ("severity", 2, 2)
    assert split.to_dict()["agreeing_share"] == round(2 / 3, 4)


def test_an_optional_field_left_empty_by_one_annotator_is_not_a_disagreement() -> None:
    schema = LabelSchema.parse(
        {
            "fields": [
                {"name": "topic", "kind": "single_choice", "options": ["x", "y"]},
                {"name": "flags", "kind": "multi_choice", "options": ["p"], "required": False},
            ]
        }
    )
    assert field_splits(schema, [{"topic": "x", "flags": ["p"]}, {"topic": "x"}])[1:] == []
    split = field_splits(schema, [{"topic": "x", "flags": ["p"]}, {"topic": "x", "flags": []}])
    assert [s.field for s in split if not s.agrees] == ["flags"]
    # an optional field is shown but does not route unless asked
    values = [{"topic": "x", "flags": ["p"]}, {"topic": "x", "flags": []}]
    assert disagreeing(schema, values) == []
    assert [s.field for s in disagreeing(schema, values, required_only=False)] == ["flags"]


def test_a_single_label_has_nothing_to_split() -> None:
    assert field_splits(SCHEMA, [FIRST]) == []
