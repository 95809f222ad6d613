"""The bulk path of item import on both backends: many chunks stored on the writer thread
(SQLite `json_each`, PostgreSQL COPY straight into items or through a staging table), and the
all-or-nothing and idempotency guarantees across chunks."""

from __future__ import annotations

import io
import threading
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from labelcrew.db.models.core import AuditEvent, Batch, GoldAnswer, Item
from labelcrew.errors import ValidationFailed
from labelcrew.services.accounts.users import Actor, create_user
from labelcrew.services.importing import imports as importing
from labelcrew.services.importing import writers as importing_writers
from labelcrew.services.importing.imports import ImportReport, import_items
from labelcrew.services.projects.projects import create_project
from labelcrew.services.uow import Database

SCHEMA = {
    "fields": [
        {"name": "label", "kind": "single_choice", "options": ["yes", "no"], "required": True}
    ]
}
CHUNK = 500


@pytest.fixture
def lead(db: Database) -> Actor:
    user = create_user(db, None, username="lead", password="a-long-password", is_admin=True)
    return Actor(user.id, user.username, True)


@pytest.fixture
def project(db: Database, lead: Actor) -> dict[str, Any]:
    return create_project(db, lead, slug="bulk", name="Bulk", schema=SCHEMA, overlap=2)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Many chunks from a few thousand rows, so every test crosses chunk boundaries.
    monkeypatch.setattr(importing, "CHUNK_ROWS", CHUNK)


def kept_writers(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every writer the import makes, kept for the test to inspect afterwards."""
    writers: list[Any] = []
    make_writer = importing.make_writer

    def keep(*args: Any) -> Any:
        writers.append(make_writer(*args))
        return writers[-1]

    monkeypatch.setattr(importing, "make_writer", keep)
    return writers


def task(n: int, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"id": f"t{n:05d}", "data": {"text": f"row {n}"}, "priority": n % 7}
    row["batch"] = f"b{n // 1000}"
    if n % 50 == 0:
        row["gold"] = {"label": "yes" if n % 100 else "no"}
    return {**row, **extra}


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)


def run(db: Database, lead: Actor, data: bytes, **options: Any) -> ImportReport:
    return import_items(db, lead, "bulk", io.BytesIO(data), filename="t.jsonl", **options)


def stored(db: Database) -> list[tuple[Any, ...]]:
    with db.uow(read_only=True) as uow:
        return [
            tuple(row)
            for row in uow.session.execute(
                select(Item.external_id, Item.payload, Item.priority, Item.is_gold).order_by(
                    Item.id
                )
            )
        ]


def counts(db: Database) -> dict[str, int]:
    with db.uow(read_only=True) as uow:
        return {
            name: int(uow.session.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in (("items", Item), ("batches", Batch), ("gold", GoldAnswer))
        }


def gold_of(db: Database) -> dict[str, Any]:
    with db.uow(read_only=True) as uow:
        rows = uow.session.execute(
            select(Item.external_id, GoldAnswer.value).join(
                GoldAnswer, GoldAnswer.item_id == Item.id
            )
        )
        return {external_id: value for external_id, value in rows}


def test_a_big_file_lands_in_file_order_with_its_batches_and_gold(db, project, lead):
    rows = [task(n) for n in range(5000)]
    report = run(db, lead, jsonl(rows))
    assert (report.created, report.unchanged, report.gold_set) == (5000, 0, 100)
    assert report.batches_created == 5
    assert stored(db) == [
        (r["id"], r["data"], r["priority"], "gold" in r) for r in rows
    ]  # item ids follow the file across the 10 chunks
    assert gold_of(db) == {r["id"]: r["gold"] for r in rows if "gold" in r}
    assert counts(db) == {"items": 5000, "batches": 5, "gold": 100}


def test_a_bad_row_deep_in_the_file_rolls_back_every_chunk_already_stored(
    db, project, lead, monkeypatch
):
    writers = kept_writers(monkeypatch)
    rows: list[Any] = [task(n) for n in range(4000)]
    rows[3500] = {"id": "bad", "data": {}, "priority": "urgent"}
    with pytest.raises(ValidationFailed) as caught:
        run(db, lead, jsonl(rows))
    assert caught.value.code == "import_rejected"
    assert [(e["line"], e["field"]) for e in caught.value.details["errors"]] == [(3501, "priority")]
    # The first seven chunks were in the database (inside the transaction) when line 3501
    # came; the rollback took them, their batches and their gold answers away.
    assert writers[0].written.created == 3500
    assert writers[0].written.gold_set == 70
    assert counts(db) == {"items": 0, "batches": 0, "gold": 0}
    with db.uow(read_only=True) as uow:
        imports = select(func.count()).where(AuditEvent.action == "items.import")
        assert uow.session.scalar(imports) == 0


def test_reimporting_inserts_nothing_and_appending_stores_only_the_new_rows(db, project, lead):
    first = [task(n) for n in range(3000)]
    run(db, lead, jsonl(first))
    again = run(db, lead, jsonl(first))
    assert (again.created, again.unchanged, again.gold_set, again.batches_created) == (
        0,
        3000,
        0,
        0,
    )
    assert counts(db) == {"items": 3000, "batches": 3, "gold": 60}

    # Half old ids (with other payloads and gold) and half new: only the new ones change
    # anything, and only they get gold answers.
    mixed = [task(n, data={"text": "changed"}, gold={"label": "no"}) for n in range(2000, 4000)]
    report = run(db, lead, jsonl(mixed))
    assert (report.created, report.unchanged, report.gold_set) == (1000, 1000, 1000)
    items = stored(db)
    assert len(items) == 4000
    assert items[:3000] == [(r["id"], r["data"], r["priority"], "gold" in r) for r in first]
    assert items[3000:] == [
        (r["id"], {"text": "changed"}, r["priority"], True) for r in mixed[1000:]
    ]
    gold = gold_of(db)
    assert len(gold) == 60 + 1000
    assert gold["t02050"] == {"label": "yes"} and gold["t03999"] == {"label": "no"}


WEIRD_PAYLOADS = [
    {"q": 'say "hi"', "path": "C:\\dir\\file", "tab": "a\tb", "nl": "line\nnext\r\n"},
    {"unicode": "é中文🙂", "escaped": "\u00e9\u2028", "empty": "", "nothing": None},
    {"n": [1, -2, 2.5, 1e-7, 12345678901234567890], "t": True, "f": False, "o": {"k": []}},
    {"slash": "\\\\N", "copy": "\\.", "bell": "\x07"},
]
WEIRD_IDS = ["tab\tid", "back\\slash", "new\nline?", "ünï cødé", "semi;colon,comma"]


@pytest.mark.parametrize("into", ["an empty project", "a project with items"])
def test_values_with_quotes_escapes_and_unicode_survive_the_bulk_path(db, project, lead, into):
    # On PostgreSQL an empty project takes the straight COPY and one with items the staging
    # table; both encode text and jsonb in COPY's binary format.
    if into == "a project with items":
        run(db, lead, jsonl([task(99999)]))
    rows = [
        {"id": external_id, "data": payload, "batch": "bätch\t1", "skills": ["ü", "a\\b"]}
        for external_id, payload in zip(WEIRD_IDS, [*WEIRD_PAYLOADS, {}], strict=True)
    ]
    report = run(db, lead, jsonl(rows))
    assert report.created == len(rows)
    with db.uow(read_only=True) as uow:
        got = uow.session.execute(
            select(Item.external_id, Item.payload, Item.required_skills, Batch.name)
            .join(Batch, Batch.id == Item.batch_id)
            .where(Item.external_id.in_(WEIRD_IDS))
            .order_by(Item.id)
        ).all()
    assert [tuple(g) for g in got] == [
        (r["id"], r["data"], ["ü", "a\\b"], "bätch\t1") for r in rows
    ]


def test_two_imports_into_one_project_at_once_never_duplicate(db, project, lead):
    left = jsonl([task(n) for n in range(0, 3000)])
    right = jsonl([task(n) for n in range(2000, 5000)])
    reports: dict[str, ImportReport] = {}
    failures: list[BaseException] = []

    def go(name: str, data: bytes) -> None:
        try:
            reports[name] = run(db, lead, data)
        except BaseException as exc:
            failures.append(exc)

    threads = [
        threading.Thread(target=go, args=("left", left)),
        threading.Thread(target=go, args=("right", right)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert reports["left"].created + reports["right"].created == 5000
    assert reports["left"].unchanged + reports["right"].unchanged == 1000
    assert reports["left"].gold_set + reports["right"].gold_set == 100
    assert counts(db) == {"items": 5000, "batches": 5, "gold": 100}
    with db.uow(read_only=True) as uow:
        ids = list(uow.session.scalars(select(Item.external_id)))
    assert len(set(ids)) == len(ids) == 5000


def test_a_failure_on_the_writer_thread_reaches_the_caller_and_rolls_back(
    db, project, lead, monkeypatch
):
    put = importing_writers.WriterThread.put
    jobs: list[Any] = []

    def failing_third(self: Any, job: Any) -> None:
        jobs.append(job)
        if len(jobs) == 3:  # a batch and a chunk are in by then (the first two jobs)

            def job() -> None:
                raise OSError("disk on fire")

        put(self, job)

    monkeypatch.setattr(importing_writers.WriterThread, "put", failing_third)
    with pytest.raises(OSError, match="disk on fire"):
        run(db, lead, jsonl([task(n) for n in range(3000)]))
    assert counts(db) == {"items": 0, "batches": 0, "gold": 0}
    assert not any(t.name.startswith("labelcrew-import") for t in threading.enumerate())


def test_batches_new_to_the_project_are_made_in_the_stream_and_the_ids_stay_unique(
    db, project, lead, clock
):
    from labelcrew.services.projects.batches import create_batch

    create_batch(db, lead, "bulk", name="week 3")  # an existing batch is reused, not made
    rows = [task(n, batch=f"week {n // 7}") for n in range(2000)]
    report = run(db, lead, jsonl(rows))
    assert (report.created, report.batches_created) == (2000, 285)
    with db.uow(read_only=True) as uow:
        batches = uow.session.scalars(select(Batch).order_by(Batch.id)).all()
        uow.session.expunge_all()
        by_item = dict(
            uow.session.execute(
                select(Item.external_id, Batch.name).join(Batch, Batch.id == Item.batch_id)
            ).all()
        )
    assert [b.name for b in batches] == ["week 3"] + [f"week {k}" for k in range(286) if k != 3]
    assert {(b.project_id, b.state, b.handoff_note, b.owner_id) for b in batches} == {
        (project["id"], "open", "", None)
    }
    assert {b.created_at for b in batches[1:]} == {clock.now}
    assert by_item == {r["id"]: r["batch"] for r in rows}
    # The ids the import took are behind the next one handed out.
    later = create_batch(db, lead, "bulk", name="later")
    assert later["id"] > max(b.id for b in batches)


def test_a_chunk_beyond_the_bound_variable_limit_goes_in_several_inserts(
    db, project, lead, monkeypatch
):
    if not db.is_sqlite:
        pytest.skip("the limit is SQLite's")
    monkeypatch.setattr(importing_writers, "rows_per_insert", lambda driver: 3)
    rows = [task(n) for n in range(1, 1201)]  # chunks of 500 in statements of 3, 3, ... 2
    report = run(db, lead, jsonl(rows))
    assert (report.created, report.gold_set) == (1200, 24)
    assert stored(db) == [(r["id"], r["data"], r["priority"], "gold" in r) for r in rows]
    assert gold_of(db) == {r["id"]: r["gold"] for r in rows if "gold" in r}


@pytest.mark.parametrize("bad", [False, True])
def test_the_sqlite_connection_that_imported_is_not_pooled_again(
    db, project, lead, monkeypatch, bad
):
    if not db.is_sqlite:
        pytest.skip("only the SQLite driver keeps the large multi-row INSERTs prepared")
    import sqlite3

    writers = kept_writers(monkeypatch)
    rows: list[Any] = [task(n) for n in range(1200)]
    if bad:
        rows[1100] = {"id": "bad", "data": []}
        with pytest.raises(ValidationFailed):
            run(db, lead, jsonl(rows))
    else:
        run(db, lead, jsonl(rows))
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        writers[0]._driver.execute("SELECT 1")
    assert counts(db)["items"] == (0 if bad else 1200)  # and the next unit of work is fine
