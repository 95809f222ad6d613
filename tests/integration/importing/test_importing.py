"""Item import on both backends: formats, all-or-nothing, rejects, idempotency, batches, gold."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from labelcrew.db.models.core import AuditEvent, Batch, GoldAnswer, Item, OutboxEvent
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor, create_user
from labelcrew.services.importing import imports as importing
from labelcrew.services.importing.imports import ImportReport, import_items
from labelcrew.services.projects.projects import create_project
from labelcrew.services.uow import Database

SCHEMA = {
    "fields": [
        {
            "name": "sentiment",
            "kind": "single_choice",
            "options": ["positive", "negative", "neutral"],
            "required": True,
        },
    ]
}


@pytest.fixture
def lead(db: Database) -> Actor:
    user = create_user(db, None, username="lead", password="a-long-password", is_admin=True)
    return Actor(user.id, user.username, True)


@pytest.fixture
def project(db: Database, lead: Actor) -> dict[str, Any]:
    return create_project(db, lead, slug="reviews", name="Reviews", schema=SCHEMA, overlap=3)


def jsonl(*rows: dict[str, Any] | str) -> bytes:
    return b"".join(
        (row.encode() if isinstance(row, str) else orjson.dumps(row)) + b"\n" for row in rows
    )


def run(
    db: Database, ref: int | str, data: bytes, filename: str = "items.jsonl", **options: Any
) -> ImportReport:
    # The CLI's system actor (id 0, no user row) must work as well as a real lead.
    actor = options.pop("actor", Actor(0, "system", True))
    return import_items(db, actor, ref, io.BytesIO(data), filename=filename, **options)


def items_of(db: Database, project_id: int) -> list[Item]:
    with db.uow(read_only=True) as uow:
        items = list(
            uow.session.scalars(select(Item).where(Item.project_id == project_id).order_by(Item.id))
        )
        # Detached before the read-only unit of work rolls back, so they keep their values.
        uow.session.expunge_all()
        return items


def count(db: Database, model: Any) -> int:
    with db.uow(read_only=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_jsonl_rows_become_open_items_with_the_project_overlap(db, project, clock):
    data = jsonl(
        {
            "id": "a1",
            "data": {"text": "great"},
            "priority": 5,
            "skills": ["de", "legal"],
            "batch": "week-1",
            "difficulty": "hard",
        },
        {"id": 2, "text": "no data key: the rest is the payload", "batch": "week-1"},
        {"external_id": "a3", "payload": {"text": "meh", "n": [1, 2.5]}, "batch": "week-2"},
    )
    report = run(db, "reviews", data)
    assert (report.format, report.rows_read, report.created, report.unchanged) == ("jsonl", 3, 3, 0)
    assert (report.batches_created, report.error_count, report.bytes_read) == (2, 0, len(data))
    items = items_of(db, project["id"])
    assert [i.external_id for i in items] == ["a1", "2", "a3"]
    assert items[0].payload == {"text": "great"}
    assert items[1].payload == {"text": "no data key: the rest is the payload"}
    assert items[2].payload == {"text": "meh", "n": [1, 2.5]}
    assert [i.priority for i in items] == [5, 0, 0]
    assert [i.required_skills for i in items] == [["de", "legal"], [], []]
    assert [i.difficulty for i in items] == ["hard", "normal", "normal"]
    assert {(i.overlap_target, i.state, i.is_gold, i.annotation_count) for i in items} == {
        (3, "open", False, 0)
    }
    assert {i.created_at for i in items} == {clock.now}
    with db.uow(read_only=True) as uow:
        batches = dict(uow.session.execute(select(Batch.name, Batch.id)).all())
        audits = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "items.import")
        ).all()
        events = uow.session.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "items.imported")
        ).all()
        uow.session.expunge_all()
    assert set(batches) == {"week-1", "week-2"}
    assert [i.batch_id for i in items] == [batches["week-1"], batches["week-1"], batches["week-2"]]
    assert len(audits) == 1 and len(events) == 1
    assert audits[0].after is not None
    assert audits[0].after["created"] == 3 and audits[0].after["filename"] == "items.jsonl"
    assert events[0].payload["format"] == "jsonl" and events[0].payload["created"] == 3


def test_csv_columns_fill_the_payload_and_the_item_fields(db, project):
    data = b'id,text,lang,priority,skills,batch\nc1,hello,en,2,en;fr,b1\nc2,"two, words",de,,,\n'
    report = run(db, project["id"], data, filename="upload.csv")
    assert (report.format, report.created, report.batches_created) == ("csv", 2, 1)
    items = items_of(db, project["id"])
    assert [i.payload for i in items] == [
        {"text": "hello", "lang": "en"},
        {"text": "two, words", "lang": "de"},
    ]
    assert [i.priority for i in items] == [2, 0]
    assert [i.required_skills for i in items] == [["en", "fr"], []]
    assert items[0].batch_id is not None and items[1].batch_id is None


def test_label_studio_tasks_import_their_data(db, project):
    tasks = [
        {"id": 11, "data": {"image": "s3://x/1.png"}, "annotations": []},
        {"id": 12, "data": {"image": "s3://x/2.png"}, "predictions": [{"result": []}]},
    ]
    report = run(
        db, "reviews", orjson.dumps(tasks, option=orjson.OPT_INDENT_2), filename="export.json"
    )
    assert (report.format, report.created) == ("labelstudio", 2)
    assert [(i.external_id, i.payload) for i in items_of(db, project["id"])] == [
        ("11", {"image": "s3://x/1.png"}),
        ("12", {"image": "s3://x/2.png"}),
    ]


BAD_FILE = jsonl(
    {"id": "ok1", "data": {"t": 1}, "batch": "new-batch"},
    "{not json",
    {"id": "ok2", "data": {"t": 2}},
    {"id": "p", "data": {}, "priority": "high"},
    {"id": "g", "data": {}, "gold": {"sentiment": "furious"}},
    {"id": "ok1", "data": {"t": 3}},
    {"id": "x" * 201, "data": {}},
)


def test_any_bad_row_refuses_the_whole_file_and_names_every_bad_line(db, project):
    with pytest.raises(ValidationFailed) as caught:
        run(db, "reviews", BAD_FILE)
    error = caught.value
    assert error.code == "import_rejected"
    assert error.details["error_count"] == 5 and error.details["rows_read"] == 7
    lines = [(e["line"], e["field"]) for e in error.details["errors"]]
    assert lines == [(2, None), (4, "priority"), (5, "gold.sentiment"), (6, "id"), (7, "id")]
    assert "furious" in error.details["errors"][2]["message"]
    assert "line 2" in error.message
    assert items_of(db, project["id"]) == []
    assert count(db, Batch) == 0
    with db.uow(read_only=True) as uow:
        assert (
            uow.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "items.import")
            )
            == 0
        )


def test_values_a_backend_cannot_store_are_bad_rows_on_both(db, project):
    data = jsonl(
        {"id": "n", "data": {"t": "a\u0000b"}}, {"id": "b", "data": {}, "batch": "x" * 201}
    )
    with pytest.raises(ValidationFailed) as caught:
        run(db, "reviews", data)
    assert [(e["line"], e["field"]) for e in caught.value.details["errors"]] == [
        (1, "data.t"),
        (2, "batch"),
    ]
    assert "NUL" in caught.value.details["errors"][0]["message"]


def test_max_errors_caps_the_list_but_not_the_count(db, project):
    with pytest.raises(ValidationFailed) as caught:
        run(db, "reviews", BAD_FILE, max_errors=2)
    assert [e["line"] for e in caught.value.details["errors"]] == [2, 4]
    assert caught.value.details["error_count"] == 5


def test_skip_invalid_imports_the_good_rows_and_writes_each_bad_one_to_the_rejects(db, project):
    sink = io.BytesIO()
    report = run(db, "reviews", BAD_FILE, skip_invalid=True, rejects=sink)
    assert (report.created, report.rejected, report.error_count) == (2, 5, 5)
    assert [i.external_id for i in items_of(db, project["id"])] == ["ok1", "ok2"]
    rejects = [orjson.loads(line) for line in sink.getvalue().splitlines()]
    assert [r["line"] for r in rejects] == [2, 4, 5, 6, 7]
    assert rejects[0]["raw"] == "{not json"
    assert orjson.loads(rejects[1]["raw"]) == {"id": "p", "data": {}, "priority": "high"}
    assert rejects[3]["error"].startswith("duplicate id 'ok1'")
    assert all(set(r) == {"line", "field", "error", "raw"} for r in rejects)


def test_skip_invalid_rejects_quote_csv_rows(db, project):
    sink = io.BytesIO()
    data = b'id,text,priority\nc1,fine,1\nc2,bad,soon\nc3,"multi\nline",x\n'
    report = run(db, "reviews", data, filename="f.csv", skip_invalid=True, rejects=sink)
    assert (report.created, report.rejected) == (1, 2)
    rejects = [orjson.loads(line) for line in sink.getvalue().splitlines()]
    assert [(r["line"], r["raw"]) for r in rejects] == [
        (3, "c2,bad,soon"),
        (4, 'c3,"multi\nline",x'),
    ]


def test_reimport_creates_only_new_ids_and_never_overwrites(db, project, lead):
    first = run(db, "reviews", jsonl({"id": "a", "data": {"v": 1}}, {"id": "b", "data": {"v": 1}}))
    again = run(
        db,
        "reviews",
        jsonl(
            {"id": "b", "data": {"v": 2}},
            {"id": "c", "data": {"v": 2}},
            {"id": "a", "data": {"v": 2}, "priority": 9},
        ),
    )
    assert (first.created, first.unchanged) == (2, 0)
    assert (again.created, again.unchanged, again.rows_read) == (1, 2, 3)
    items = items_of(db, project["id"])
    assert [(i.external_id, i.payload, i.priority) for i in items] == [
        ("a", {"v": 1}, 0),
        ("b", {"v": 1}, 0),
        ("c", {"v": 2}, 0),
    ]
    # The same ids in another project are other items.
    other = create_project(db, lead, slug="other", name="Other")
    assert run(db, other["id"], jsonl({"id": "a", "data": {}})).created == 1


def test_batches_named_in_a_file_are_reused_across_imports(db, project):
    run(db, "reviews", jsonl({"id": "a", "data": {}, "batch": "b1"}))
    report = run(
        db,
        "reviews",
        jsonl({"id": "b", "data": {}, "batch": "b1"}, {"id": "c", "data": {}, "batch": "b2"}),
    )
    assert report.batches_created == 1
    assert count(db, Batch) == 2
    by_id = {i.external_id: i.batch_id for i in items_of(db, project["id"])}
    assert by_id["a"] == by_id["b"] != by_id["c"]


def test_gold_rows_set_validated_answers_across_chunks(db, project, lead, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 3)
    rows = [{"id": f"i{n}", "data": {"text": str(n)}} for n in range(10)]
    rows[1]["gold"] = {"sentiment": "positive"}
    rows[7]["gold"] = {"sentiment": "neutral"}
    report = run(db, "reviews", jsonl(*rows), actor=lead)
    assert (report.created, report.gold_set) == (10, 2)
    items = items_of(db, project["id"])
    assert [i.external_id for i in items if i.is_gold] == ["i1", "i7"]
    with db.uow(read_only=True) as uow:
        gold = {g.item_id: (g.value, g.created_by) for g in uow.session.scalars(select(GoldAnswer))}
    assert gold == {
        items[1].id: ({"sentiment": "positive"}, lead.user_id),
        items[7].id: ({"sentiment": "neutral"}, lead.user_id),
    }
    # Re-importing gold for existing items changes nothing.
    rows[2]["gold"] = {"sentiment": "negative"}
    again = run(db, "reviews", jsonl(*rows))
    assert (again.created, again.unchanged, again.gold_set) == (0, 10, 0)
    assert count(db, GoldAnswer) == 2


def test_gold_needs_a_schema(db, lead):
    create_project(db, lead, slug="bare", name="Bare")
    with pytest.raises(ValidationFailed) as caught:
        run(db, "bare", jsonl({"id": "g", "data": {}, "gold": {"sentiment": "positive"}}))
    assert caught.value.details["errors"] == [
        {"line": 1, "field": "gold", "message": caught.value.details["errors"][0]["message"]}
    ]
    assert "no label schema" in caught.value.details["errors"][0]["message"]


def test_progress_reports_bytes_read_up_to_the_file_size(db, project, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 4)
    data = jsonl(*({"id": n, "data": {"n": n}} for n in range(20)))
    seen: list[int] = []
    run(db, "reviews", data, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == len(data) and len(seen) >= 5


def test_unknown_project_and_format_are_named(db, project):
    with pytest.raises(NotFound):
        run(db, "no-such-project", jsonl({"id": 1, "data": {}}))
    with pytest.raises(ValidationFailed) as caught:
        run(db, "reviews", b"a,b\n", fmt="xml")
    assert caught.value.code == "unknown_format"
    with pytest.raises(ValidationFailed) as empty:
        run(db, "reviews", b"", filename="items.json")
    assert empty.value.field == "file"


def test_api_imports_an_upload_and_refuses_bad_files_with_every_line(db, project, lead):
    from fastapi.testclient import TestClient

    from labelcrew.app import create_app
    from labelcrew.services.accounts.users import issue_token
    from labelcrew.services.projects.projects import set_member

    annotator = create_user(db, None, username="ann", password="a-long-password")
    set_member(db, lead, "reviews", username="ann", roles=["annotator"])
    headers = {"Authorization": f"Bearer {issue_token(db, None, user_id=lead.user_id)}"}
    as_annotator = {"Authorization": f"Bearer {issue_token(db, None, user_id=annotator.id)}"}
    url = f"/api/v1/projects/{project['id']}/items:import"
    good = jsonl({"id": "a", "data": {"t": 1}}, {"id": "b", "data": {"t": 2}, "batch": "w1"})
    with TestClient(create_app(db=db)) as client:
        ok = client.post(url, headers=headers, files={"file": ("items.jsonl", good)})
        assert ok.status_code == 200, ok.text
        assert {k: ok.json()[k] for k in ("format", "created", "unchanged", "batches_created")} == {
            "format": "jsonl",
            "created": 2,
            "unchanged": 0,
            "batches_created": 1,
        }

        refused = client.post(
            url, headers=headers, files={"file": ("bad.jsonl", BAD_FILE)}, params={"max_errors": 3}
        )
        assert refused.status_code == 422
        body = refused.json()
        assert body["code"] == "import_rejected"
        assert body["details"]["error_count"] == 5
        assert [e["line"] for e in body["details"]["errors"]] == [2, 4, 5]

        skipped = client.post(
            url,
            headers=headers,
            files={"file": ("bad.jsonl", BAD_FILE)},
            params={"skip_invalid": "true"},
        )
        assert skipped.status_code == 200
        assert (skipped.json()["created"], skipped.json()["rejected"]) == (2, 5)

        csv_upload = client.post(
            url,
            headers=headers,
            params={"format": "csv"},
            files={"file": ("upload.bin", b"id,text\nz1,hi\n")},
        )
        assert csv_upload.json()["format"] == "csv" and csv_upload.json()["created"] == 1

        forbidden = client.post(url, headers=as_annotator, files={"file": ("i.jsonl", good)})
        assert forbidden.status_code == 403
        assert client.post(url, files={"file": ("i.jsonl", good)}).status_code == 401
    assert [i.external_id for i in items_of(db, project["id"])] == ["a", "b", "ok1", "ok2", "z1"]
