"""Streaming item-row parsers: JSONL, CSV, Label Studio; every error kind with its line."""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import FrozenInstanceError
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelcrew.domain.importing.parsers import (
    ItemRow,
    RowError,
    detect_format,
    parse_csv_lines,
    parse_jsonl_lines,
    parse_rows,
)
from labelcrew.domain.text_rules import canonical_id
from labelcrew.errors import ValidationFailed


def rows(data: bytes, fmt: str) -> list[ItemRow | RowError]:
    return list(parse_rows(io.BytesIO(data), fmt))


def jsonl(*objects: Any) -> bytes:
    return b"".join(orjson.dumps(obj) + b"\n" for obj in objects)


# -- JSONL ----------------------------------------------------------------------------------


def test_jsonl_reads_every_recognised_key() -> None:
    data = jsonl(
        {
            "id": "a1",
            "data": {"text": "hello"},
            "priority": 5,
            "skills": ["legal", "de"],
            "batch": "week-1",
            "difficulty": "hard",
            "gold": {"sentiment": "positive"},
        },
        {
            "external_id": 7,
            "payload": {"x": 1},
            "required_skills": "legal, de;fr",
            "difficulty": "Easy",
        },
    )
    assert rows(data, "jsonl") == [
        ItemRow(
            1,
            "a1",
            {"text": "hello"},
            5,
            ("legal", "de"),
            "week-1",
            "hard",
            {"sentiment": "positive"},
        ),
        ItemRow(2, "7", {"x": 1}, 0, ("legal", "de", "fr"), None, "easy", None),
    ]


def test_jsonl_without_data_puts_unrecognised_keys_in_the_payload() -> None:
    data = jsonl({"id": "a", "text": "hi", "lang": "en", "priority": 2, "batch": "b"})
    assert rows(data, "jsonl") == [ItemRow(1, "a", {"text": "hi", "lang": "en"}, 2, (), "b")]


def test_jsonl_blank_lines_bom_and_crlf_keep_true_line_numbers() -> None:
    data = (
        b'\xef\xbb\xbf{"id": "a", "t": 1}\r\n\r\n   \n{"id": "b", "t": 1}\r\n\n{"id": "c", "t": 1}'
    )
    assert [(r.line, r.external_id) for r in rows(data, "jsonl") if isinstance(r, ItemRow)] == [
        (1, "a"),
        (4, "b"),
        (6, "c"),
    ]


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ('{"text": "no id"}', "id", "has no id"),
        ('{"id": "  ", "t": 1}', "id", "id is empty"),
        ('{"id": null, "external_id": "", "t": 1}', "external_id", "id is empty"),
        ('{"id": 1.5, "t": 1}', "id", "string or an integer"),
        ('{"id": true, "t": 1}', "id", "string or an integer"),
        ('{"id": "' + "x" * 256 + '", "t": 1}', "id", "at most 255"),
        ('{"id": "a\u202eb", "t": 1}', "id", "invisible formatting character U+202E"),
        ('{"id": "a"}', "data", "the row has no data"),
        ('{"id": "a", "priority": 1}', "data", "the row has no data"),
        ('{"id": "a", "data": {}, "priorty": 1}', "priorty", "unknown key 'priorty'"),
        ('{"id": "a", "payload": {}, "meta": 1}', "meta", "unknown key 'meta'"),
        ('{"id": "a", "data": {}, "payload": {}}', "payload", "data or payload, not both"),
        ('{"id": "a", "priority": "high"}', "priority", "priority must be an integer, not 'high'"),
        ('{"id": "a", "priority": 2.5}', "priority", "must be an integer"),
        ('{"id": "a", "priority": 99999999999}', "priority", "outside"),
        ('{"id": "a", "difficulty": "extreme"}', "difficulty", "not one of easy, normal, hard"),
        ('{"id": "a", "data": [1, 2]}', "data", "data must be an object, not array"),
        ('{"id": "a", "payload": "text"}', "payload", "payload must be an object, not string"),
        ('{"id": "a", "skills": [1]}', "skills", "list of strings"),
        ('{"id": "a", "batch": {}}', "batch", "must be a string"),
        ('{"id": "a", "gold": "positive"}', "gold", "gold must be an object"),
        ("[1, 2]", None, "must be a JSON object, not array"),
        ('{"id": "a",', None, "invalid JSON: "),
    ],
)
def test_jsonl_errors_name_line_and_field(line: str, field: str | None, words: str) -> None:
    data = b'{"id": "ok", "t": 1}\n\n' + line.encode() + b'\n{"id": "after", "t": 1}\n'
    result = rows(data, "jsonl")
    assert [r.external_id for r in result if isinstance(r, ItemRow)] == ["ok", "after"]
    errors = [r for r in result if isinstance(r, RowError)]
    assert len(errors) == 1
    assert (errors[0].line, errors[0].field) == (3, field)
    assert words in errors[0].message


def test_jsonl_duplicate_ids_point_at_the_first_occurrence() -> None:
    data = jsonl(
        *(
            {**row, "data": {}}
            for row in (
                {"id": "a"},
                {"id": 1},
                {"id": "1"},
                {"id": "b", "priority": "x"},
                {"id": "b"},
            )
        )
    )
    result = rows(data, "jsonl")
    assert result[2] == RowError(3, "id", "duplicate id '1' (first on line 2)")
    # A rejected row does not take its id: the later row with the same id is accepted.
    assert isinstance(result[3], RowError)
    assert result[4] == ItemRow(5, "b", {})


def test_parsed_rows_are_frozen_and_equal_to_constructed_ones() -> None:
    (row,) = rows(
        jsonl({"id": "a", "data": {"t": 1}, "skills": ["x"], "gold": {"l": "y"}}), "jsonl"
    )
    assert row == ItemRow(1, "a", {"t": 1}, 0, ("x",), None, None, {"l": "y"})
    assert repr(row) == repr(ItemRow(1, "a", {"t": 1}, 0, ("x",), None, None, {"l": "y"}))
    with pytest.raises(FrozenInstanceError):
        row.priority = 3  # type: ignore[misc]


def test_jsonl_lines_may_be_text() -> None:
    result = list(
        parse_jsonl_lines(
            ['\ufeff{"id": "a", "data": {"t": "é"}}\n', "\n", '{"id": "b", "data": {}}']
        )
    )
    assert result == [ItemRow(1, "a", {"t": "é"}), ItemRow(3, "b", {})]


# -- CSV ------------------------------------------------------------------------------------


def test_csv_reads_recognised_columns_and_keeps_the_rest_as_strings() -> None:
    data = (
        b"\xef\xbb\xbfid,text,Priority,skills,batch,difficulty,score\r\n"
        b'a,"hello, world",3,legal;de,b1,hard,0.5\r\n'
        b"b,second,,,,,\r\n"
    )
    assert rows(data, "csv") == [
        ItemRow(2, "a", {"text": "hello, world", "score": "0.5"}, 3, ("legal", "de"), "b1", "hard"),
        ItemRow(3, "b", {"text": "second", "score": ""}),
    ]


def test_csv_line_numbers_follow_the_file_across_quoted_newlines_and_blank_lines() -> None:
    data = b'external_id,text\n1,"two\nlines"\n\n2,x\n,,\n3,y\n'
    result = rows(data, "csv")
    assert [(r.line, r.external_id) for r in result if isinstance(r, ItemRow)] == [
        (2, "1"),
        (5, "2"),
        (7, "3"),
    ]
    assert result[0].payload == {"text": "two\nlines"}  # type: ignore[union-attr]
    errors = [r for r in result if isinstance(r, RowError)]
    assert errors == []  # the all-empty row ",," on line 6 counts as blank


def test_csv_gold_column_holds_json() -> None:
    data = b'id,text,gold\na,x,"{""label"": ""cat""}"\nb,y,not json\n'
    result = rows(data, "csv")
    assert result[0] == ItemRow(2, "a", {"text": "x"}, gold={"label": "cat"})
    assert isinstance(result[1], RowError)
    assert (result[1].line, result[1].field) == (3, "gold")


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (b",x,1", "id", "id is empty"),
        (b"a,x,high", "priority", "must be an integer"),
        (b"a,x,1,extra", None, "the row has 4 cells; the header has 3"),
        (b"a,x", None, "the row has 2 cells"),
        (b"b,x,1", "id", "duplicate id 'b' (first on line 2)"),
        (b"c,\xff\xfe,1", None, "not UTF-8"),
    ],
)
def test_csv_errors_name_line_and_field(row: bytes, field: str | None, words: str) -> None:
    data = b"id,text,priority\r\nb,first,0\r\n" + row + b"\r\n"
    result = rows(data, "csv")
    error = result[-1]
    assert isinstance(error, RowError)
    assert (error.line, error.field) == (3, field)
    assert words in error.message


@pytest.mark.parametrize(
    ("header", "field", "words"),
    [
        (b"", None, "the file is empty"),
        (b"text,label\n", "id", "no id or external_id column"),
        (b"id,text,text\n", "text", "appears twice"),
        (b"id,,text\n", None, "column 2 has an empty name"),
    ],
)
def test_csv_header_problems_stop_at_line_one(header: bytes, field: str | None, words: str) -> None:
    result = rows(header + b"1,2,3\n", "csv") if header else rows(b"", "csv")
    assert len(result) == 1
    assert isinstance(result[0], RowError)
    assert (result[0].line, result[0].field) == (1, field)
    assert words in result[0].message


def test_csv_with_both_id_columns_keeps_external_id_in_the_payload() -> None:
    assert list(parse_csv_lines(["id,external_id,text\n", "1,ext-1,x\n"])) == [
        ItemRow(2, "1", {"external_id": "ext-1", "text": "x"})
    ]


# -- Label Studio ---------------------------------------------------------------------------

LABEL_STUDIO_EXPORT = b"""\xef\xbb\xbf[
  {
    "id": 101,
    "data": {"text": "The service was great", "meta_info": {"source": "app"}},
    "annotations": [
      {"id": 1, "completed_by": 1, "result": [
        {"value": {"choices": ["Positive"]}, "from_name": "sentiment", "to_name": "text", "type": "choices"}
      ], "was_cancelled": false, "ground_truth": false, "lead_time": 3.2}
    ],
    "predictions": [],
    "meta": {},
    "created_at": "2024-05-01T10:00:00.000000Z",
    "updated_at": "2024-05-01T10:05:00.000000Z",
    "inner_id": 1,
    "project": 3
  },
  {
    "id": 102,
    "data": {"image": "/data/upload/3/cat.jpg", "width": 640, "height": 480},
    "annotations": [],
    "predictions": [{"model_version": "v1", "score": 0.87, "result": []}],
    "priority": 4,
    "batch": "pilot"
  },
  {"id": 103, "annotations": []},
  {"id": 104, "data": {"text": "no annotations yet"}}
]
"""


def test_label_studio_export_reads_tasks_and_numbers_them() -> None:
    result = rows(LABEL_STUDIO_EXPORT, "labelstudio")
    assert result == [
        ItemRow(1, "101", {"text": "The service was great", "meta_info": {"source": "app"}}),
        ItemRow(
            2,
            "102",
            {"image": "/data/upload/3/cat.jpg", "width": 640, "height": 480},
            4,
            batch="pilot",
        ),
        RowError(3, "data", "the task has no data object"),
        ItemRow(4, "104", {"text": "no annotations yet"}),
    ]
    # Floats stay floats (ijson would otherwise produce Decimal).
    single = rows(b'{"id": "t", "data": {"score": 0.25}}', "labelstudio")
    assert single == [ItemRow(1, "t", {"score": 0.25})]
    assert type(single[0].payload["score"]) is float  # type: ignore[union-attr]


def test_label_studio_integer_ids_become_strings_and_overflow_is_reported() -> None:
    data = b'[{"id": 12, "data": {}}, {"id": ' + b"9" * 30 + b', "data": {}}]'
    result = rows(data, "labelstudio")
    assert result[0] == ItemRow(1, "12", {})
    # The C JSON parser stops at integers past 64 bits; the task number still points at it.
    assert isinstance(result[1], RowError)
    assert result[1].line == 2
    assert "invalid JSON" in result[1].message


def test_label_studio_single_pretty_printed_task() -> None:
    data = b'{\n  "id": 9,\n  "data": {"text": "x"}\n}\n'
    assert rows(data, "labelstudio") == [ItemRow(1, "9", {"text": "x"})]


def test_label_studio_errors() -> None:
    broken = rows(
        b'[{"id": 1, "data": {}}, {"id": 1, "data": {}}, {"id": 2, "data": {"a": tru', "labelstudio"
    )
    assert broken[0] == ItemRow(1, "1", {})
    assert broken[1] == RowError(2, "id", "duplicate id '1' (first on line 1)")
    assert isinstance(broken[2], RowError)
    assert broken[2].line == 3
    assert broken[2].message.startswith("invalid JSON after task 2: ")
    assert "\n" not in broken[2].message
    not_json = rows(b"id,text\n", "labelstudio")
    assert not_json == [
        RowError(1, None, "a Label Studio file must hold a JSON array of tasks or one task object")
    ]


def test_label_studio_streams_past_the_sniffed_head() -> None:
    tasks = [{"id": i, "data": {"text": "x" * 100}} for i in range(2000)]  # ~250 KB, several reads
    result = rows(orjson.dumps(tasks), "labelstudio")
    assert [r.external_id for r in result] == [str(i) for i in range(2000)]  # type: ignore[union-attr]


# -- streaming: an endless input still yields rows ------------------------------------------


class EndlessTasks:
    """A binary stream holding a JSON array of tasks that never ends."""

    def __init__(self) -> None:
        self.count = 0
        self.pending = b"["

    def read(self, size: int) -> bytes:
        while len(self.pending) < size:
            self.pending += b'{"id": %d, "data": {"n": %d}},' % (self.count, self.count)
            self.count += 1
        chunk, self.pending = self.pending[:size], self.pending[size:]
        return chunk


def test_parsers_are_lazy_on_endless_inputs() -> None:
    endless_jsonl = (b'{"id": %d, "data": {}}\n' % i for i in itertools.count())
    assert list(itertools.islice(parse_jsonl_lines(endless_jsonl), 2)) == [
        ItemRow(1, "0", {}),
        ItemRow(2, "1", {}),
    ]
    endless_csv = itertools.chain([b"id,n\r\n"], (b"%d,x\r\n" % i for i in itertools.count()))
    assert [r.line for r in itertools.islice(parse_csv_lines(endless_csv), 3)] == [2, 3, 4]
    tasks = EndlessTasks()
    first = list(itertools.islice(parse_rows(tasks, "labelstudio"), 3))  # type: ignore[arg-type]
    assert first == [
        ItemRow(1, "0", {"n": 0}),
        ItemRow(2, "1", {"n": 1}),
        ItemRow(3, "2", {"n": 2}),
    ]
    assert tasks.count < 10_000  # read a few buffers, not the (infinite) file


# -- format detection and dispatch ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("items.jsonl", b"", "jsonl"),
        ("items.NDJSON", b"[", "jsonl"),
        ("items.csv", b"{", "csv"),
        ("export.json", b'\xef\xbb\xbf [\n  {"id": 1', "labelstudio"),
        ("export.json", b'{\n  "id": 1,', "labelstudio"),
        ("upload", b'{"id": 1}\n{"id": 2}\n', "jsonl"),
        ("upload", b'{"id": 1, "data": {"text": "cut off by the sniff', "jsonl"),
        ("upload", b"id,text\n1,x\n", "csv"),
    ],
)
def test_detect_format(name: str, head: bytes, expected: str) -> None:
    assert detect_format(name, head) == expected


def test_detect_format_refuses_an_empty_unnamed_file_and_parse_rows_an_unknown_format() -> None:
    with pytest.raises(ValidationFailed) as caught:
        detect_format("upload", b"  \n")
    assert caught.value.code == "unknown_format"
    with pytest.raises(ValidationFailed) as caught:
        parse_rows(io.BytesIO(b""), "xml")
    assert caught.value.code == "unknown_format"
    assert caught.value.field == "format"


# -- property: every id and payload survives -------------------------------------------------


def _canonical(raw: str) -> str:
    """The id as the parser keeps it, or "" for one it refuses (a format character)."""
    try:
        return canonical_id(raw)
    except ValueError:
        return ""


ids = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    # In canonical form (NFC, no invisible characters), as the parser keeps them.
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=20)
    .filter(_canonical)
    .map(_canonical),
)
scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=12)
json_values = (
    scalars
    | st.lists(scalars, max_size=3)
    | st.dictionaries(st.text(max_size=4), scalars, max_size=3)
)
payloads = st.dictionaries(st.text(max_size=8), json_values, max_size=4)
items = st.lists(st.tuples(ids, payloads), max_size=20, unique_by=lambda item: item[0])


@settings(max_examples=60)
@given(items)
def test_jsonl_keeps_every_id_and_payload(generated: list[tuple[str, dict[str, Any]]]) -> None:
    data = jsonl(*({"id": item_id, "data": payload} for item_id, payload in generated))
    result = rows(data, "jsonl")
    assert all(isinstance(r, ItemRow) for r in result)
    assert [(r.external_id, r.payload) for r in result] == generated  # type: ignore[union-attr]
    assert [r.line for r in result] == list(range(1, len(generated) + 1))


@settings(max_examples=60)
@given(items)
def test_label_studio_keeps_every_id_and_payload(
    generated: list[tuple[str, dict[str, Any]]],
) -> None:
    data = orjson.dumps([{"id": item_id, "data": payload} for item_id, payload in generated])
    result = rows(data, "labelstudio")
    assert [(r.external_id, r.payload) for r in result] == generated  # type: ignore[union-attr]


cell_text = st.text(st.characters(codec="utf-8"), max_size=15)


@given(st.lists(st.tuples(ids, cell_text, cell_text), max_size=20, unique_by=lambda item: item[0]))
def test_csv_keeps_every_id_and_cell(generated: list[tuple[str, str, str]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["id", "text", "note"])
    writer.writerows(generated)
    result = rows(buffer.getvalue().encode(), "csv")
    # A row whose cells are all empty is a blank line; ids are never empty, so none is skipped.
    assert [(r.external_id, r.payload) for r in result] == [  # type: ignore[union-attr]
        (item_id, {"text": text, "note": note}) for item_id, text, note in generated
    ]


# -- what used to be taken silently -----------------------------------------------------------


def test_csv_quote_never_closed_is_an_error_naming_the_line_it_opens_on() -> None:
    data = b'id,text\na,x\nb,"opened\nc,y\nd,z\n'
    result = rows(data, "csv")
    assert result[0] == ItemRow(2, "a", {"text": "x"})
    assert len(result) == 2 and isinstance(result[1], RowError)
    assert result[1].line == 3 and "never closed" in result[1].message
    header = rows(b'id,"text\na,x\n', "csv")
    assert len(header) == 1 and isinstance(header[0], RowError) and header[0].line == 1


def test_csv_stray_quote_is_an_error_and_the_next_rows_are_read() -> None:
    result = rows(b'id,text\na,"x"y\nb,ok\n', "csv")
    assert isinstance(result[0], RowError) and result[0].line == 2
    assert result[1] == ItemRow(3, "b", {"text": "ok"})


def test_label_studio_top_level_object_must_be_a_task() -> None:
    result = rows(b'{"tasks": [{"id": 1, "data": {}}], "title": "p"}', "labelstudio")
    assert len(result) == 1 and isinstance(result[0], RowError)
    assert "not a task" in result[0].message and "'tasks', 'title'" in result[0].message


def test_label_studio_keys_beside_data_are_tolerated_and_others_refused() -> None:
    tasks = [
        {"id": 1, "data": {}, "annotations": [], "predictions": [], "meta": {}, "inner_id": 1},
        {"id": 2, "data": {}, "colour": "red"},
    ]
    result = rows(orjson.dumps(tasks), "labelstudio")
    assert result[0] == ItemRow(1, "1", {})
    assert result[1] == RowError(2, "colour", result[1].message)  # type: ignore[union-attr]
    assert "unknown key 'colour'" in result[1].message  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("plain-id", "plain-id"),
        ("  padded ", "padded"),
        ("cafe\u0301", "caf\u00e9"),
        ("a\u200bb\u200c\u200dc\u2060\ufeff", "abc"),
        ("soft\u00adhyphen", "softhyphen"),
    ],
)
def test_external_ids_are_kept_in_canonical_form(raw: str, kept: str) -> None:
    assert rows(jsonl({"id": raw, "data": {}}), "jsonl") == [ItemRow(1, kept, {})]
    assert canonical_id(raw) == kept
