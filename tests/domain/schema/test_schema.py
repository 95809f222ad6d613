"""LabelSchema: definition checks, canonical round-trip, whole-label validation, lookups."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelcrew.domain.schema.label_schema import LabelSchema, MultiChoice, SingleChoice, Spans
from labelcrew.errors import ValidationFailed

FULL = {
    "fields": [
        {
            "name": "sentiment",
            "kind": "single_choice",
            "options": ["positive", "negative", "neutral"],
            "required": True,
            "hotkeys": ["1", "2", "3"],
        },
        {
            "name": "topics",
            "kind": "multi_choice",
            "options": ["a", "b", "c"],
            "min_selected": 0,
            "max_selected": None,
        },
        {"name": "quality", "kind": "rating", "min": 1, "max": 5, "step": 1},
        {"name": "preference", "kind": "ranking", "candidates": 2},
        {
            "name": "entities",
            "kind": "spans",
            "labels": ["PER", "ORG", "LOC"],
            "source": "text",
            "allow_overlap": False,
        },
        {
            "name": "rationale",
            "kind": "text",
            "min_length": 0,
            "max_length": 2000,
            "required": False,
        },
        {
            "name": "boxes",
            "kind": "bbox",
            "labels": ["car", "person"],
            "source": "image",
            "required": False,
        },
    ]
}
PAYLOAD = {
    "text": "Ada Lovelace met Babbage in London",
    "image": "a.png",
    "width": 640,
    "height": 480,
}


def schema_error(definition: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        LabelSchema.parse(definition)
    assert caught.value.code == "invalid_schema"
    return caught.value


def test_parse_reads_every_kind_and_keeps_order() -> None:
    schema = LabelSchema.parse(FULL)
    assert [(f.name, f.kind) for f in schema.fields] == [
        ("sentiment", "single_choice"),
        ("topics", "multi_choice"),
        ("quality", "rating"),
        ("preference", "ranking"),
        ("entities", "spans"),
        ("rationale", "text"),
        ("boxes", "bbox"),
    ]
    sentiment = schema.field("sentiment")
    assert isinstance(sentiment, SingleChoice)
    assert sentiment.hotkeys == (("positive", "1"), ("negative", "2"), ("neutral", "3"))
    assert schema.field("rationale").required is False


def test_to_dict_is_canonical_and_round_trips() -> None:
    schema = LabelSchema.parse(FULL)
    body = schema.to_dict()
    assert body["fields"][0]["hotkeys"] == {"positive": "1", "negative": "2", "neutral": "3"}
    assert body["fields"][3] == {
        "name": "preference",
        "kind": "ranking",
        "required": True,
        "candidates": 2,
        "allow_ties": False,
    }
    assert LabelSchema.parse(body) == schema
    assert LabelSchema.parse(body).to_dict() == body


@pytest.mark.parametrize(
    ("definition", "path", "words"),
    [
        ([], "", "must be an object"),
        ({"fields": []}, "fields", "at least one field"),
        ({"fields": {}}, "fields", "must be a list"),
        ({"fields": [], "title": "x"}, "title", "unknown key"),
        ({"fields": ["x"]}, "fields[0]", "must be an object"),
        ({"fields": [{"name": "1bad", "kind": "text"}]}, "fields[0].name", "not a valid name"),
        ({"fields": [{"name": "a", "kind": "colour"}]}, "fields[0].kind", "'colour' is not one of"),
        (
            {"fields": [{"name": "a", "kind": "text"}, {"name": "a", "kind": "text"}]},
            "fields[1].name",
            "duplicate field name",
        ),
        (
            {"fields": [{"name": "a", "kind": "single_choice", "options": ["x"]}]},
            "fields[0].options",
            "at least 2",
        ),
        (
            {"fields": [{"name": "a", "kind": "single_choice", "options": ["x", "y", "x"]}]},
            "fields[0].options[2]",
            "duplicate 'x'",
        ),
        (
            {"fields": [{"name": "a", "kind": "single_choice", "options": ["x", ""]}]},
            "fields[0].options[1]",
            "non-empty",
        ),
        ({"fields": [{"name": "a", "kind": "single_choice"}]}, "fields[0].options", "is required"),
        (
            {
                "fields": [
                    {"name": "a", "kind": "single_choice", "options": ["x", "y"], "option": 1}
                ]
            },
            "fields[0].option",
            "unknown key 'option'",
        ),
        (
            {
                "fields": [
                    {
                        "name": "a",
                        "kind": "single_choice",
                        "options": ["x", "y"],
                        "hotkeys": ["1", "1"],
                    }
                ]
            },
            "fields[0].hotkeys.y",
            "already used by 'x'",
        ),
        (
            {
                "fields": [
                    {
                        "name": "a",
                        "kind": "single_choice",
                        "options": ["x", "y"],
                        "hotkeys": {"z": "1"},
                    }
                ]
            },
            "fields[0].hotkeys.z",
            "not one of the options",
        ),
        (
            {
                "fields": [
                    {"name": "a", "kind": "single_choice", "options": ["x", "y"], "required": "yes"}
                ]
            },
            "fields[0].required",
            "true or false",
        ),
        (
            {
                "fields": [
                    {"name": "a", "kind": "multi_choice", "options": ["x"], "max_selected": 2}
                ]
            },
            "fields[0].max_selected",
            "more than the 1 options",
        ),
        (
            {
                "fields": [
                    {
                        "name": "a",
                        "kind": "multi_choice",
                        "options": ["x", "y"],
                        "min_selected": 2,
                        "max_selected": 1,
                    }
                ]
            },
            "fields[0].max_selected",
            "less than min_selected",
        ),
        (
            {"fields": [{"name": "a", "kind": "rating", "min": 5, "max": 1}]},
            "fields[0].max",
            "greater than min",
        ),
        ({"fields": [{"name": "a", "kind": "rating", "max": 1}]}, "fields[0].min", "is required"),
        (
            {"fields": [{"name": "a", "kind": "rating", "min": 1, "max": 5, "step": 3}]},
            "fields[0].step",
            "does not divide",
        ),
        (
            {"fields": [{"name": "a", "kind": "rating", "min": 1, "max": 5, "step": 0}]},
            "fields[0].step",
            "> 0",
        ),
        (
            {"fields": [{"name": "a", "kind": "ranking", "candidates": 1}]},
            "fields[0].candidates",
            ">= 2",
        ),
        (
            {"fields": [{"name": "a", "kind": "ranking", "candidates": True}]},
            "fields[0].candidates",
            "integer",
        ),
        (
            {"fields": [{"name": "a", "kind": "spans", "labels": []}]},
            "fields[0].labels",
            "at least 1",
        ),
        (
            {"fields": [{"name": "a", "kind": "text", "min_length": 5, "max_length": 2}]},
            "fields[0].max_length",
            "less than",
        ),
        (
            {"fields": [{"name": "a", "kind": "bbox", "labels": ["c"], "iou_threshold": 0}]},
            "fields[0].iou_threshold",
            "(0, 1]",
        ),
    ],
)
def test_bad_definitions_name_their_path(definition: Any, path: str, words: str) -> None:
    error = schema_error(definition)
    assert error.field == (path or None)
    assert words in error.message
    assert error.message.startswith(f"{path}: ") if path else True


def test_validate_normalises_a_full_label() -> None:
    schema = LabelSchema.parse(FULL)
    label = schema.validate(
        {
            "sentiment": "positive",
            "topics": ["c", "a"],
            "quality": 4.0,
            "preference": [1, 0],
            "entities": [
                {"start": 17, "end": 24, "label": "PER"},
                {"start": 0, "end": 12, "label": "PER"},
            ],
        },
        PAYLOAD,
    )
    assert label == {
        "sentiment": "positive",
        "topics": ["a", "c"],
        "quality": 4,
        "preference": [1, 0],
        "entities": [
            {"start": 0, "end": 12, "label": "PER"},
            {"start": 17, "end": 24, "label": "PER"},
        ],
        "rationale": None,
        "boxes": None,
    }
    assert type(label["quality"]) is int


def test_validate_reports_every_problem_and_names_the_first() -> None:
    schema = LabelSchema.parse(FULL)
    with pytest.raises(ValidationFailed) as caught:
        schema.validate(
            {
                "sentiment": "great",
                "topics": [],
                "preference": [0, 1],
                "entities": [{"start": 5, "end": 40, "label": "ORG"}],
                "colour": "red",
            },
            {"text": "x" * 32},
        )
    error = caught.value
    assert error.code == "invalid_value"
    assert error.field == "sentiment"
    assert "'great' is not one of" in error.message
    fields = [problem["field"] for problem in error.details["errors"]]
    assert fields == ["sentiment", "quality", "entities[0].end", "colour"]
    messages = {problem["field"]: problem["message"] for problem in error.details["errors"]}
    assert (
        messages["entities[0].end"] == "entities[0].end: end 40 is past the end of text (length 32)"
    )
    assert messages["quality"] == "quality: is required"
    assert "unknown field 'colour'" in messages["colour"]


def test_a_single_problem_has_no_details_list() -> None:
    schema = LabelSchema.parse(FULL)
    with pytest.raises(ValidationFailed) as caught:
        schema.validate(
            {
                "sentiment": "positive",
                "topics": [],
                "quality": 9,
                "preference": [0, 1],
                "entities": [],
            }
        )
    assert caught.value.field == "quality"
    assert caught.value.details == {}
    assert caught.value.message == "quality: 9 is outside [1, 5]"


def test_optional_fields_may_be_null_and_required_may_not() -> None:
    schema = LabelSchema.parse(FULL)
    base = {
        "sentiment": "neutral",
        "topics": [],
        "quality": 1,
        "preference": [0, 1],
        "entities": [],
    }
    assert schema.validate({**base, "rationale": None})["rationale"] is None
    with pytest.raises(ValidationFailed) as caught:
        schema.validate({**base, "sentiment": None})
    assert caught.value.field == "sentiment"


def test_a_label_must_be_an_object() -> None:
    with pytest.raises(ValidationFailed) as caught:
        LabelSchema.parse(FULL).validate(["positive"])  # type: ignore[arg-type]
    assert caught.value.code == "invalid_value"
    assert "must be an object" in caught.value.message


def test_lookups() -> None:
    schema = LabelSchema.parse(FULL)
    assert schema.primary_field is schema.field("sentiment")
    assert schema.categories("sentiment") == ["positive", "negative", "neutral"]
    assert schema.categories("topics") == ["a", "b", "c"]
    with pytest.raises(ValidationFailed) as caught:
        schema.categories("quality")
    assert caught.value.code == "not_a_choice_field"
    with pytest.raises(ValidationFailed) as caught:
        schema.field("nope")
    assert caught.value.code == "unknown_field"
    assert caught.value.field == "nope"
    no_choice = LabelSchema.parse({"fields": [{"name": "t", "kind": "text"}]})
    assert no_choice.primary_field is None


def test_agreement_value_and_is_correct_dispatch_by_field() -> None:
    schema = LabelSchema.parse(FULL)
    assert schema.agreement_value("topics", ["b", "a"]) == frozenset({"a", "b"})
    assert schema.agreement_value("rationale", None) is None
    assert schema.is_correct("sentiment", "positive", "positive")
    assert not schema.is_correct("sentiment", "positive", "neutral")
    assert schema.is_correct("rationale", None, None)
    assert not schema.is_correct("rationale", "x", None)


# -- property: any valid definition survives to_dict -> parse ---------------------------------

names = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True)
words = st.lists(st.text("abcxyz", min_size=1, max_size=4), min_size=2, max_size=5, unique=True)


@st.composite
def field_definitions(draw: st.DrawFn, name: str) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            ["single_choice", "multi_choice", "rating", "ranking", "spans", "text", "bbox"]
        )
    )
    body: dict[str, Any] = {"name": name, "kind": kind, "required": draw(st.booleans())}
    if draw(st.booleans()):
        body["description"] = draw(st.text(min_size=1, max_size=20).filter(str.strip))
    if kind in ("single_choice", "multi_choice"):
        body["options"] = draw(words)
        if draw(st.booleans()):
            body["hotkeys"] = [str(i) for i in range(len(body["options"]))]
        if kind == "multi_choice":
            body["min_selected"] = draw(st.integers(0, 1))
            body["max_selected"] = draw(st.one_of(st.none(), st.integers(1, len(body["options"]))))
    elif kind == "rating":
        low = draw(st.integers(-5, 5))
        step = draw(st.sampled_from([1, 2, 0.5]))
        body.update(min=low, max=low + step * draw(st.integers(1, 10)), step=step)
    elif kind == "ranking":
        body.update(candidates=draw(st.integers(2, 6)), allow_ties=draw(st.booleans()))
    elif kind in ("spans", "bbox"):
        body["labels"] = draw(words)
    elif kind == "text":
        body.update(
            min_length=draw(st.integers(0, 3)),
            max_length=draw(st.one_of(st.none(), st.integers(3, 50))),
        )
    return body


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    field_names = draw(st.lists(names, min_size=1, max_size=6, unique=True))
    return {"fields": [draw(field_definitions(name)) for name in field_names]}


@given(definitions())
def test_definitions_round_trip(definition: dict[str, Any]) -> None:
    schema = LabelSchema.parse(definition)
    assert [f.name for f in schema.fields] == [f["name"] for f in definition["fields"]]
    again = LabelSchema.parse(schema.to_dict())
    assert again == schema
    assert again.to_dict() == schema.to_dict()
    for f, raw in zip(schema.fields, definition["fields"], strict=True):
        assert f.kind == raw["kind"]
        assert f.required == raw["required"]
        if isinstance(f, SingleChoice | MultiChoice):
            assert list(f.options) == raw["options"]
        if isinstance(f, Spans):
            assert list(f.labels) == raw["labels"]


def test_schema_size_limits_name_the_field() -> None:
    from labelcrew.domain.schema.base import MAX_CANDIDATES, MAX_FIELDS, MAX_OPTIONS

    def refused(definition: dict) -> tuple[str | None, str]:
        with pytest.raises(ValidationFailed) as caught:
            LabelSchema.parse(definition)
        assert caught.value.code == "invalid_schema"
        return caught.value.field, caught.value.message

    options = [f"o{i}" for i in range(MAX_OPTIONS + 1)]
    field = {"name": "f", "kind": "single_choice", "options": options}
    assert refused({"fields": [field]})[0] == "fields[0].options"
    field["options"] = options[:MAX_OPTIONS]
    assert LabelSchema.parse({"fields": [field]}).fields[0].options == tuple(options[:MAX_OPTIONS])
    ranking = {"name": "r", "kind": "ranking", "candidates": MAX_CANDIDATES + 1}
    assert refused({"fields": [ranking]})[0] == "fields[0].candidates"
    many = [{"name": f"t{i}", "kind": "text"} for i in range(MAX_FIELDS + 1)]
    assert refused({"fields": many})[0] == "fields"
    assert len(LabelSchema.parse({"fields": many[:MAX_FIELDS]}).fields) == MAX_FIELDS
