"""Values of the spans and bbox kinds, with property tests for span lists."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.domain.schema.regions import iou, perfect_matching
from labelcrew.errors import ValidationFailed

LABELS = ["PER", "ORG", "LOC"]


def spans_schema(allow_overlap: bool = False) -> LabelSchema:
    return LabelSchema.parse(
        {
            "fields": [
                {
                    "name": "entities",
                    "kind": "spans",
                    "labels": LABELS,
                    "allow_overlap": allow_overlap,
                }
            ]
        }
    )


BOXES = LabelSchema.parse(
    {"fields": [{"name": "boxes", "kind": "bbox", "labels": ["car", "person"]}]}
)


def span(start: int, end: int, label: str = "PER") -> dict[str, Any]:
    return {"start": start, "end": end, "label": label}


def box(x: float, y: float, w: float, h: float, label: str = "car") -> dict[str, Any]:
    return {"x": x, "y": y, "w": w, "h": h, "label": label}


def rejected(
    schema: LabelSchema, value: dict[str, Any], payload: dict[str, Any] | None
) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        schema.validate(value, payload)
    assert caught.value.code == "invalid_value"
    assert caught.value.message.startswith(f"{caught.value.field}: ")
    return caught.value


# -- spans ----------------------------------------------------------------------------------


def test_spans_are_sorted_and_checked_against_the_payload_text() -> None:
    text = {"text": "Ada met Bob in Rome"}
    value = [span(15, 19, "LOC"), span(0, 3), span(8, 11)]
    assert spans_schema().validate({"entities": value}, text)["entities"] == [
        span(0, 3),
        span(8, 11),
        span(15, 19, "LOC"),
    ]
    assert spans_schema().validate({"entities": []}, text) == {"entities": []}


def test_end_past_the_text_names_the_span_and_the_length() -> None:
    error = rejected(
        spans_schema(), {"entities": [span(0, 3), span(5, 40, "ORG")]}, {"text": "x" * 32}
    )
    assert error.field == "entities[1].end"
    assert error.message == "entities[1].end: end 40 is past the end of text (length 32)"


@pytest.mark.parametrize(
    ("entry", "path", "words"),
    [
        (span(-1, 2), "entities[0].start", "must be >= 0"),
        (span(4, 4), "entities[0].end", "greater than start 4"),
        (span(1, 2, "DATE"), "entities[0].label", "'DATE' is not one of"),
        ({"start": 1.0, "end": 2, "label": "PER"}, "entities[0].start", "integer offset"),
        ({"start": 1, "label": "PER"}, "entities[0].end", "is required"),
        ({**span(1, 2), "text": "x"}, "entities[0].text", "unknown key 'text'"),
        ("1-2", "entities[0]", "must be an object"),
    ],
)
def test_bad_spans_name_their_path(entry: Any, path: str, words: str) -> None:
    error = rejected(spans_schema(), {"entities": [entry]}, {"text": "some text"})
    assert error.field == path
    assert words in error.message


def test_spans_need_the_source_text_when_a_payload_is_given() -> None:
    error = rejected(spans_schema(), {"entities": [span(0, 1)]}, {"body": "text under another key"})
    assert error.field == "entities"
    assert "payload['text']" in error.message
    # No spans need no text; without a payload only the offsets' own rules apply.
    assert spans_schema().validate({"entities": []}, {"image": "a.png"}) == {"entities": []}
    assert spans_schema().validate({"entities": [span(0, 999)]})["entities"] == [span(0, 999)]


def test_overlap_rules() -> None:
    nested = [span(0, 10, "ORG"), span(0, 3)]
    error = rejected(spans_schema(), {"entities": nested}, None)
    # Sorted by start, the short span comes first, so the long one is reported as overlapping it.
    assert error.field == "entities[0]"
    assert "span [0, 10) overlaps span 1" in error.message
    assert spans_schema(True).validate({"entities": nested})["entities"] == [
        span(0, 3),
        span(0, 10, "ORG"),
    ]
    touching = [span(0, 3), span(3, 5)]
    assert spans_schema().validate({"entities": touching})["entities"] == touching
    twice = rejected(spans_schema(True), {"entities": [span(1, 2), span(1, 2)]}, None)
    assert twice.field == "entities[1]"
    assert "duplicates span 0" in twice.message


def test_span_agreement_and_gold_are_exact() -> None:
    schema = spans_schema()
    a = [span(8, 11), span(0, 3)]
    assert schema.agreement_value("entities", a) == ((0, 3, "PER"), (8, 11, "PER"))
    assert schema.is_correct("entities", a, [span(0, 3), span(8, 11)])
    assert not schema.is_correct("entities", a, [span(0, 3), span(8, 12)])
    assert not schema.is_correct("entities", a, [span(0, 3)])


@st.composite
def span_lists(draw: st.DrawFn) -> tuple[int, list[dict[str, Any]]]:
    length = draw(st.integers(1, 60))
    entries = []
    for _ in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, length - 1))
        end = draw(st.integers(start + 1, length))
        entries.append(span(start, end, draw(st.sampled_from(LABELS))))
    return length, entries


def overlapping(entries: list[dict[str, Any]]) -> bool:
    return any(
        a["start"] < b["end"] and b["start"] < a["end"]
        for i, a in enumerate(entries)
        for b in entries[i + 1 :]
    )


def duplicated(entries: list[dict[str, Any]]) -> bool:
    keys = [(e["start"], e["end"], e["label"]) for e in entries]
    return len(set(keys)) != len(keys)


@given(span_lists(), st.booleans())
def test_random_span_lists_pass_exactly_when_the_overlap_rule_allows(
    case: tuple[int, list[dict[str, Any]]], allow_overlap: bool
) -> None:
    length, entries = case
    schema = spans_schema(allow_overlap)
    payload = {"text": "x" * length}
    should_fail = duplicated(entries) or (not allow_overlap and overlapping(entries))
    if should_fail:
        error = rejected(schema, {"entities": entries}, payload)
        index = int(error.field.removeprefix("entities[").removesuffix("]"))  # type: ignore[union-attr]
        assert 0 <= index < len(entries)
        assert "overlaps" in error.message or "duplicates" in error.message
    else:
        result = schema.validate({"entities": entries}, payload)["entities"]
        key = lambda e: (e["start"], e["end"], e["label"])  # noqa: E731
        assert result == sorted(entries, key=key)


@given(span_lists(), st.data())
def test_out_of_range_spans_fail_at_their_own_path(
    case: tuple[int, list[dict[str, Any]]], data: st.DataObject
) -> None:
    length, entries = case
    if not entries:
        entries = [span(0, 1)]
    k = data.draw(st.integers(0, len(entries) - 1))
    broken = [dict(e) for e in entries]
    if data.draw(st.booleans()):
        broken[k]["end"] = length + data.draw(st.integers(1, 10))
        expected_path, words = f"entities[{k}].end", f"past the end of text (length {length})"
    else:
        broken[k]["start"] = -data.draw(st.integers(1, 10))
        expected_path, words = f"entities[{k}].start", "must be >= 0"
    error = rejected(spans_schema(allow_overlap=True), {"entities": broken}, {"text": "x" * length})
    assert error.field == expected_path
    assert words in error.message


# -- bounding boxes -------------------------------------------------------------------------


def test_boxes_inside_the_image_pass_in_the_given_order() -> None:
    value = [box(10, 20, 30, 40, "person"), box(0, 0, 640, 480)]
    result = BOXES.validate({"boxes": value}, {"image": "a.png", "width": 640, "height": 480})
    assert result == {"boxes": value}
    assert BOXES.validate({"boxes": [box(1.5, 2.5, 3.25, 4)]}) == {
        "boxes": [box(1.5, 2.5, 3.25, 4)]
    }


@pytest.mark.parametrize(
    ("entry", "payload", "path", "words"),
    [
        (box(-1, 0, 5, 5), None, "boxes[0].x", "x -1 must be >= 0"),
        (box(0, -2, 5, 5), None, "boxes[0].y", "must be >= 0"),
        (box(0, 0, 0, 5), None, "boxes[0].w", "w 0 must be > 0"),
        (box(0, 0, 5, -1), None, "boxes[0].h", "must be > 0"),
        (box(0, 0, 5, 5, "dog"), None, "boxes[0].label", "'dog' is not one of"),
        ({**box(0, 0, 1, 5), "w": "5"}, None, "boxes[0].w", "number of pixels"),
        ({"x": 0, "y": 0, "w": 5, "label": "car"}, None, "boxes[0].h", "is required"),
        (
            box(600, 0, 50, 5),
            {"width": 640, "height": 480},
            "boxes[0].w",
            "x + w = 650 is past the image width 640",
        ),
        (
            box(0, 470, 5, 20),
            {"image_width": 640, "image_height": 480},
            "boxes[0].h",
            "past the image height 480",
        ),
    ],
)
def test_bad_boxes_name_their_path(entry: Any, payload: Any, path: str, words: str) -> None:
    error = rejected(BOXES, {"boxes": [box(1, 1, 1, 1), entry]}, payload)
    assert error.field == path.replace("[0]", "[1]")
    assert words in error.message


def test_iou() -> None:
    assert iou(box(0, 0, 10, 10), box(0, 0, 10, 10)) == 1.0
    assert iou(box(0, 0, 10, 10), box(5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert iou(box(0, 0, 10, 10), box(10, 0, 10, 10)) == 0.0


def test_box_gold_needs_a_one_to_one_match_with_iou_at_least_the_threshold() -> None:
    gold = [box(0, 0, 10, 10), box(2, 0, 10, 10)]
    # The first box fits either gold box; only the matching that gives it the second one
    # leaves the first gold box for the narrow box (a greedy first-fit would miss it).
    answer = [box(1, 0, 10, 10), box(0, 0, 6, 10)]
    assert BOXES.is_correct("boxes", answer, gold)
    assert not BOXES.is_correct("boxes", [box(1, 0, 10, 10)], gold)
    assert not BOXES.is_correct("boxes", [box(0, 0, 10, 10, "person"), box(2, 0, 10, 10)], gold)
    assert not BOXES.is_correct("boxes", [box(0, 0, 10, 10), box(8, 0, 10, 10)], gold)
    assert BOXES.is_correct("boxes", [], [])
    strict = LabelSchema.parse(
        {"fields": [{"name": "b", "kind": "bbox", "labels": ["car"], "iou_threshold": 0.9}]}
    )
    assert not strict.is_correct("b", [box(1, 0, 10, 10)], [box(0, 0, 10, 10)])
    assert strict.is_correct("b", [box(0.4, 0, 10, 10)], [box(0, 0, 10, 10)])


def test_box_agreement_form_rounds_to_pixels_and_ignores_order() -> None:
    a = [box(10.2, 20.4, 30, 40, "person"), box(1, 2, 3, 4)]
    b = [box(1, 2, 3, 4), box(9.8, 19.6, 30, 40, "person")]
    assert BOXES.agreement_value("boxes", a) == BOXES.agreement_value("boxes", b)
    assert BOXES.agreement_value("boxes", a) == (("car", 1, 2, 3, 4), ("person", 10, 20, 30, 40))


def test_perfect_matching() -> None:
    assert perfect_matching([[0, 1], [0]], 2)
    assert not perfect_matching([[0], [0]], 2)
    assert perfect_matching([], 0)
