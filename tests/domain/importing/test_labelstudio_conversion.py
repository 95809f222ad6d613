"""Label Studio config and result conversion as plain values: every mapped tag, the reasons
for what does not map, UTF-16 offsets, percent boxes, JSON_MIN cells, and the way back."""

from __future__ import annotations

import pytest

from labelcrew.domain.importing.labelstudio_config import parse_config
from labelcrew.domain.importing.labelstudio_export import (
    LabelOut,
    build_task,
    config_xml,
    mapping_for_schema,
)
from labelcrew.domain.importing.labelstudio_results import (
    ResultProblem,
    box_pixels,
    index_to_utf16,
    regions_from_min,
    span_offsets,
    utf16_to_index,
    value_from_results,
)
from labelcrew.domain.importing.labelstudio_tasks import html_text, read_export
from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.errors import ValidationFailed

CONFIG = """<View>
  <HyperText name="page" value="$html"/>
  <HyperTextLabels name="ents" toName="page"><Label value="PER"/></HyperTextLabels>
  <Image name="img" value="$image"/>
  <KeyPointLabels name="kp" toName="img"><Label value="eye"/></KeyPointLabels>
  <Choices name="ok" toName="page"><Choice value="yes"/></Choices>
  <Choices name="dyn" toName="page" value="$options"/>
  <Number name="n" toName="page"/>
  <Rating name="stars" toName="page" maxRating="10" required="true"/>
  <Labels name="img-labels" toName="img"><Label value="x"/></Labels>
  <TextArea name="2nd note" toName="page"/>
</View>"""


def test_every_control_maps_or_says_why():
    mapping = parse_config(CONFIG)
    assert [(c.from_name, c.field, c.kind) for c in mapping.controls] == [
        ("ents", "ents", "spans"),
        ("ok", "ok", "multi_choice"),
        ("stars", "stars", "rating"),
        ("2nd note", "f_2nd_note", "text"),
    ]
    reasons = {u.name: u.reason for u in mapping.unmapped}
    assert reasons["kp"] == "labelcrew has no key point field kind"
    assert "differ per item" in reasons["dyn"]
    assert "without min and max" in reasons["n"]
    assert "Labels on a Image is not a text span" in reasons["img-labels"]
    schema = mapping.schema()
    assert schema.field("stars").required and not schema.field("ok").required
    assert schema.field("ents").to_dict()["source"] == "html_text"


def test_a_config_that_is_not_xml_or_maps_nothing_is_refused():
    with pytest.raises(ValidationFailed, match="not valid XML"):
        parse_config("<View><Text name='t'")
    with pytest.raises(ValidationFailed, match="no control labelcrew can store"):
        parse_config(
            '<View><Image name="i" value="$i"/><BrushLabels name="b" toName="i"/></View>'
        ).schema()
    with pytest.raises(ValidationFailed, match="not valid XML"):
        parse_config('<!DOCTYPE x [<!ENTITY a "b">]><View>&a;</View>')  # no entity expansion


def test_utf16_offsets_and_their_inverse():
    text = "a🚀b"
    assert [utf16_to_index(text, u) for u in (0, 1, 3, 4)] == [0, 1, 2, 3]
    assert utf16_to_index(text, 2) is None  # inside the surrogate pair
    assert [index_to_utf16(text, i) for i in range(4)] == [0, 1, 3, 4]
    assert span_offsets(text, 3, 4, "b", "r") == (2, 3)  # UTF-16, as Label Studio writes
    assert span_offsets(text, 2, 3, "b", "r") == (2, 3)  # code points, as some scripts write
    with pytest.raises(ResultProblem, match="neither in UTF-16 units nor in code points"):
        span_offsets(text, 0, 1, "b", "r")


def test_boxes_from_percent_and_rotation_refused():
    assert box_pixels({"x": 12.5, "y": 50, "width": 25, "height": 10}, 640, 480, "r") == {
        "x": 80,
        "y": 240,
        "w": 160,
        "h": 48,
    }
    with pytest.raises(ResultProblem, match="rotated by 15"):
        box_pixels({"x": 1, "y": 1, "width": 1, "height": 1, "rotation": 15}, 640, 480, "r")
    with pytest.raises(ResultProblem, match="no image size"):
        box_pixels({"x": 1, "y": 1, "width": 1, "height": 1}, None, None, "r")


def test_hypertext_spans_use_the_page_text_and_global_offsets():
    mapping = parse_config(CONFIG)
    html = "<p>Hi <b>Ann</b> Lee</p>"
    assert html_text(html) == "Hi Ann Lee"
    region = {
        "from_name": "ents",
        "type": "hypertextlabels",
        "value": {
            "start": "/p[1]/b[1]/text()[1]",
            "end": "/p[1]/text()[2]",
            "startOffset": 0,
            "endOffset": 4,
            "globalOffsets": {"start": 3, "end": 10},
            "text": "Ann Lee",
            "hypertextlabels": ["PER"],
        },
    }
    tasks = read_export(
        b'[{"id": 1, "data": {"html": "' + html.encode() + b'"}, "annotations": []}]', mapping
    )[1]
    payload = tasks[0].data
    value, _ = value_from_results(
        mapping, [region, {"from_name": "stars", "value": {"rating": 7}}], payload
    )
    assert value["ents"] == [{"start": 3, "end": 10, "label": "PER"}]
    assert LabelSchema.parse(mapping.definition()).validate(value, payload)["stars"] == 7


def test_json_min_cells():
    mapping = parse_config(CONFIG)
    c = mapping.by_from_name()
    assert regions_from_min(c["ok"], "yes")[0]["value"] == {"choices": ["yes"]}
    assert regions_from_min(c["stars"], [{"rating": 3}])[0]["value"] == {"rating": 3}
    assert regions_from_min(c["stars"], 3)[0]["value"] == {"rating": 3}
    assert regions_from_min(c["2nd note"], "hi")[0]["value"] == {"text": ["hi"]}
    assert regions_from_min(c["ok"], "") == []


def test_a_native_schema_gets_a_config_that_parses_back_to_itself():
    schema = LabelSchema.parse(
        {
            "fields": [
                {"name": "topic", "kind": "single_choice", "options": ["a", "b"]},
                {"name": "tags", "kind": "multi_choice", "options": ["x", "y"]},
                {"name": "stars", "kind": "rating", "min": 1, "max": 5, "step": 1},
                {"name": "score", "kind": "rating", "min": 0, "max": 1},
                {"name": "pick", "kind": "ranking", "candidates": 2},
                {"name": "order", "kind": "ranking", "candidates": 3},
                {"name": "ents", "kind": "spans", "labels": ["PER"], "allow_overlap": True},
                {"name": "boxes", "kind": "bbox", "labels": ["car"]},
                {"name": "note", "kind": "text", "required": False},
            ]
        }
    )
    mapping = mapping_for_schema(schema)
    parsed = parse_config(config_xml(mapping))
    assert [(c.field, c.kind) for c in parsed.controls] == [(f.name, f.kind) for f in schema.fields]
    assert parsed.unmapped == ()
    value = {
        "topic": "a",
        "tags": ["x"],
        "stars": 4,
        "score": 0.25,
        "pick": [1, 0],
        "order": [2, 0, 1],
        "ents": [{"start": 0, "end": 2, "label": "PER"}],
        "boxes": [{"x": 1, "y": 2, "w": 3, "h": 4, "label": "car"}],
        "note": "ok",
    }
    payload = {"text": "Al is here", "image": "a.png", "width": 10, "height": 10}
    task = build_task(
        mapping,
        task_id=1,
        external_id="x",
        payload=payload,
        labels=[LabelOut(1, "a@b.c", "", value)],
    )
    ranked = parsed.with_candidates({"order": 3})
    back, _ = value_from_results(ranked, task["annotations"][0]["result"], task["data"])
    assert back == value


def test_an_alias_is_what_results_hold():
    mapping = parse_config(
        '<View><Text name="t" value="$text"/><Choices name="c" toName="t">'
        '<Choice value="Very good" alias="good"/><Choice value="Bad"/></Choices></View>'
    )
    assert mapping.controls[0].settings["options"] == ["good", "Bad"]


def test_a_span_drawn_twice_is_kept_once():
    mapping = parse_config(
        '<View><Text name="t" value="$text"/>'
        '<Labels name="l" toName="t"><Label value="PER"/></Labels></View>'
    )
    region = {"from_name": "l", "value": {"start": 0, "end": 2, "text": "Al", "labels": ["PER"]}}
    value, _ = value_from_results(mapping, [region, dict(region)], {"text": "Al is here"})
    assert value == {"l": [{"start": 0, "end": 2, "label": "PER"}]}
