"""Hostile import files and schemas, through the API on both databases: each is refused with
422 naming the line and field, and nothing is stored (an import is all or nothing)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from labelcrew.app import create_app
from labelcrew.config import Settings
from labelcrew.db.models.core import Item
from labelcrew.services.accounts import users as accounts
from tests.integration.team import build


@pytest.fixture
def lead_client(db):
    team = build(db, annotators=0, items=0, guideline=False)
    token = accounts.issue_token(db, None, user_id=team.lead.user_id)
    # Small limits, so that a test file stays small; the defaults are 1 MB and 4 MB.
    settings = Settings(import_max_field_bytes=1000, import_max_row_bytes=3000)
    client = TestClient(create_app(db=db, settings=settings), raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {token}"
    return team, client


def jsonl(*rows: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)


def items_in(db, project_id: int) -> int:
    with db.uow(read_only=True) as uow:
        query = select(func.count()).select_from(Item).where(Item.project_id == project_id)
        return int(uow.session.scalar(query) or 0)


def upload(client: TestClient, project_id: int, name: str, data: bytes, **params: Any):
    return client.post(
        f"/api/v1/projects/{project_id}/items:import",
        files={"file": (name, data)},
        params=params,
    )


def refused(resp) -> list[dict[str, Any]]:
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert body["code"] == "import_rejected", body
    return body["details"]["errors"]


def test_a_csv_quote_left_open_is_refused_naming_its_line(db, lead_client):
    team, client = lead_client
    data = b'id,text\na,fine\nb,"opened here\nc,swallowed\nd,swallowed too\n'
    errors = refused(upload(client, team.project_id, "items.csv", data))
    assert len(errors) == 1
    assert errors[0]["line"] == 3
    assert "never closed" in errors[0]["message"] and "line 3" in errors[0]["message"]
    assert items_in(db, team.project_id) == 0
    # A stray quote after a closing one is malformed too; the rows after it are still read.
    data = b'id,text\na,"x"y\nb,ok\nb,again\n'
    errors = refused(upload(client, team.project_id, "items.csv", data))
    assert [(e["line"], e["field"]) for e in errors] == [(2, None), (4, "id")]
    assert "malformed CSV on line 2" in errors[0]["message"]
    assert items_in(db, team.project_id) == 0


def test_a_label_studio_object_that_is_not_a_task_is_refused(db, lead_client):
    team, client = lead_client
    export = orjson.dumps({"id": 3, "title": "my project", "tasks": [{"id": 1, "data": {}}]})
    for name, data in (("export.json", export), ("export.json", orjson.dumps({"tasks": []}))):
        errors = refused(upload(client, team.project_id, name, data, format="labelstudio"))
        assert errors[0]["line"] == 1
        assert "not a task" in errors[0]["message"]
        assert "'tasks'" in errors[0]["message"]
    # One task object stays a valid (single-task) Label Studio file.
    ok = upload(client, team.project_id, "t.json", b'{\n "id": 1,\n "data": {"t": "x"}\n}')
    assert ok.status_code == 200 and ok.json()["created"] == 1, ok.text


def test_jsonl_rows_without_data_or_with_unknown_keys_are_refused(db, lead_client):
    team, client = lead_client
    data = jsonl(
        {"id": "ok", "data": {"t": "x"}},
        {"id": "empty"},
        {"id": "only-known", "priority": 3, "batch": "b"},
        {"id": "typo", "data": {"t": "x"}, "priorty": 3},
        {"id": "both", "data": {"t": "x"}, "payload": {"t": "y"}},
    )
    errors = refused(upload(client, team.project_id, "items.jsonl", data))
    assert [(e["line"], e["field"]) for e in errors] == [
        (2, "data"),
        (3, "data"),
        (4, "priorty"),
        (5, "payload"),
    ]
    assert "unknown key 'priorty'" in errors[2]["message"]
    assert items_in(db, team.project_id) == 0
    # Label Studio's own keys beside data are tolerated (and ignored); others are not.
    tasks = [
        {"id": 1, "data": {"t": "x"}, "annotations": [], "predictions": [], "meta": {}},
        {"id": 2, "data": {"t": "x"}, "colour": "red"},
    ]
    errors = refused(upload(client, team.project_id, "ls.json", orjson.dumps(tasks)))
    assert [(e["line"], e["field"]) for e in errors] == [(2, "colour")]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("caf\u00e9", "cafe\u0301"),  # NFC and NFD
        ("item-7", "item\u200b-7"),  # a zero-width space
        ("item-7", "\ufeffitem-7\u2060"),  # a BOM and a word joiner
        ("\u00c5ngstr\u00f6m", "A\u030angstro\u0308m"),
    ],
)
def test_external_ids_that_look_alike_are_duplicates(db, lead_client, first, second):
    team, client = lead_client
    data = jsonl({"id": first, "data": {"n": 1}}, {"id": second, "data": {"n": 2}})
    errors = refused(upload(client, team.project_id, "items.jsonl", data))
    assert [(e["line"], e["field"]) for e in errors] == [(2, "id")]
    assert "duplicate id" in errors[0]["message"] and "first on line 1" in errors[0]["message"]
    assert items_in(db, team.project_id) == 0


def test_an_id_with_a_bidi_override_is_refused(db, lead_client):
    team, client = lead_client
    data = jsonl({"id": "invoice-\u202e7pdf", "data": {"n": 1}})
    errors = refused(upload(client, team.project_id, "items.jsonl", data))
    assert (errors[0]["line"], errors[0]["field"]) == (1, "id")
    assert "U+202E" in errors[0]["message"]


def test_values_and_rows_over_the_size_limits_are_refused_naming_line_and_field(db, lead_client):
    team, client = lead_client
    data = jsonl(
        {"id": "small", "data": {"t": "x" * 900}},  # under both limits
        {"id": "big-value", "data": {"t": "x", "body": "y" * 1200}},
        {"id": "big-row", "data": {f"k{i}": "z" * 900 for i in range(4)}},
        {"id": "nested", "data": {"deep": [{"a": "w" * 1100}]}},
    )
    errors = refused(upload(client, team.project_id, "items.jsonl", data))
    assert [(e["line"], e["field"]) for e in errors] == [
        (2, "data.body"),
        (3, "data"),
        (4, "data.deep"),
    ]
    assert "at most 1,000" in errors[0]["message"]
    assert "LABELCREW_IMPORT_MAX_FIELD_BYTES" in errors[0]["message"]
    assert "at most 3,000" in errors[1]["message"]
    assert items_in(db, team.project_id) == 0
    # CSV cells and Label Studio data go through the same check.
    csv_data = b"id,text\na," + b"q" * 1500 + b"\n"
    errors = refused(upload(client, team.project_id, "items.csv", csv_data))
    assert [(e["line"], e["field"]) for e in errors] == [(2, "data.text")]
    tasks = orjson.dumps([{"id": 1, "data": {"img": "p" * 1500}}])
    errors = refused(upload(client, team.project_id, "ls.json", tasks))
    assert [(e["line"], e["field"]) for e in errors] == [(1, "data.img")]
    # With skip_invalid the small row alone is imported.
    resp = upload(client, team.project_id, "items.jsonl", data, skip_invalid="true")
    assert resp.status_code == 200 and resp.json()["created"] == 1, resp.text


def test_the_default_limits_are_a_megabyte_a_value_and_four_a_row():
    settings = Settings()
    assert (settings.import_max_field_bytes, settings.import_max_row_bytes) == (1 << 20, 4 << 20)


def _field(kind: str, **settings: Any) -> dict[str, Any]:
    return {"name": "f", "kind": kind, **settings}


@pytest.mark.parametrize(
    ("schema", "field", "words"),
    [
        (
            {"fields": [_field("single_choice", options=[f"o{i}" for i in range(100_000)])]},
            "fields[0].options",
            "at most 1,000",
        ),
        (
            {"fields": [_field("multi_choice", options=["a", "b" * 201])]},
            "fields[0].options[1]",
            "at most 200",
        ),
        ({"fields": [_field("ranking", candidates=10**9)]}, "fields[0].candidates", "<= 100"),
        (
            {"fields": [_field("spans", labels=[f"l{i}" for i in range(1001)])]},
            "fields[0].labels",
            "at most 1,000",
        ),
        (
            {"fields": [_field("text", description="d" * 2001)]},
            "fields[0].description",
            "at most 2000",
        ),
        (
            {"fields": [{"name": f"f{i}", "kind": "text"} for i in range(201)]},
            "fields",
            "at most 200 fields",
        ),
    ],
)
def test_schemas_past_the_size_limits_are_refused_naming_the_field(
    db, lead_client, schema, field, words
):
    team, client = lead_client
    before = client.get(f"/api/v1/projects/{team.project_id}/schema").json()
    resp = client.put(f"/api/v1/projects/{team.project_id}/schema", json=schema)
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert (body["code"], body["field"]) == ("invalid_schema", field)
    assert words in body["message"] and body["message"].startswith(field)
    assert client.get(f"/api/v1/projects/{team.project_id}/schema").json() == before


def test_a_jsonl_line_over_the_limit_is_refused_by_number_without_being_held(db, lead_client):
    team, client = lead_client  # the line limit is twice the row limit: 6,000 bytes here
    huge = orjson.dumps({"id": "huge", "data": {"t": "x" * 200_000}}) + b"\n"
    data = jsonl({"id": "a", "data": {"t": "one"}}) + huge + jsonl({"id": "b", "data": {"t": "2"}})
    errors = refused(upload(client, team.project_id, "items.jsonl", data))
    assert [e["line"] for e in errors] == [2]
    assert f"{len(huge):,} bytes long; at most 6,000" in errors[0]["message"]
    assert items_in(db, team.project_id) == 0
    kept = upload(client, team.project_id, "items.jsonl", data, skip_invalid="true")
    assert kept.status_code == 200 and kept.json()["created"] == 2, kept.text


def test_the_line_reader_keeps_memory_bounded_by_the_limit():
    import io
    import tracemalloc

    from labelcrew.domain.importing.parsers import OverlongLine
    from labelcrew.services.importing.streams import bounded_lines

    source = io.BytesIO(b'{"id": 1}\n' + b"y" * (60 << 20) + b"\n" + b'{"id": 2}')
    tracemalloc.start()
    try:
        lines = list(bounded_lines(io.BufferedReader(source), 1 << 16))  # type: ignore[arg-type]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert lines[0] == b'{"id": 1}\n' and lines[2] == b'{"id": 2}'
    assert type(lines[1]) is OverlongLine and lines[1].size == (60 << 20) + 1
    assert peak < 4 << 20, peak  # a 60 MB line, read through in 1 MiB pieces
