"""The import writers' own guarantees: the writer thread keeps order, stays bounded and hands
its errors over; on PostgreSQL an outside insert that races the straight COPY is a conflict,
never a duplicate."""

from __future__ import annotations

import io
import threading
import time
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select, text

from labelcrew.db.models.core import Item
from labelcrew.errors import Conflict
from labelcrew.services.accounts.users import Actor, create_user
from labelcrew.services.importing.imports import import_items
from labelcrew.services.importing.writers import QUEUE_CHUNKS, WriterThread
from labelcrew.services.projects.projects import create_project


def test_jobs_run_in_order_on_one_other_thread() -> None:
    stored: list[tuple[int, str]] = []
    worker = WriterThread("t1")
    for n in range(50):
        worker.put(partial(lambda n: stored.append((n, threading.current_thread().name)), n))
    worker.wait()
    worker.stop()
    assert [n for n, _ in stored] == list(range(50))
    assert {name for _, name in stored} == {"t1"}
    assert not any(t.name == "t1" for t in threading.enumerate())


def test_the_queue_is_bounded_so_a_slow_writer_holds_the_producer_back() -> None:
    release = threading.Event()
    stored: list[int] = []

    def slow(n: int) -> None:
        release.wait(10)
        stored.append(n)

    worker = WriterThread("slow")
    # One job in the writer's hands and QUEUE_CHUNKS waiting fill it; one more must wait.
    for n in range(QUEUE_CHUNKS + 1):
        worker.put(partial(slow, n))
    producer = threading.Thread(target=worker.put, args=(partial(slow, QUEUE_CHUNKS + 1),))
    producer.start()
    producer.join(0.3)
    assert producer.is_alive()
    release.set()
    producer.join(10)
    worker.wait()
    worker.stop()
    assert stored == list(range(QUEUE_CHUNKS + 2))


def test_an_error_is_raised_on_the_caller_thread_and_later_jobs_are_dropped() -> None:
    stored: list[int] = []

    def store(n: int) -> None:
        if n == 2:
            raise ValueError("chunk 2 is bad")
        stored.append(n)

    worker = WriterThread("failing")
    raised: list[BaseException] = []
    for n in range(5):
        try:
            worker.put(partial(store, n))
        except ValueError as exc:
            raised.append(exc)  # a put after the writer met the error
            break
    with pytest.raises(ValueError, match="chunk 2 is bad"):
        worker.wait()
    worker.stop()
    assert [str(e) for e in raised] in ([], ["chunk 2 is bad"])
    assert stored == [0, 1]


def test_stop_drops_the_jobs_still_queued() -> None:
    release = threading.Event()
    stored: list[int] = []

    def slow(n: int) -> None:
        release.wait(10)
        stored.append(n)

    worker = WriterThread("dropping")
    for n in range(QUEUE_CHUNKS + 1):
        worker.put(partial(slow, n))
    stopper = threading.Thread(target=worker.stop)
    stopper.start()
    time.sleep(0.1)
    release.set()
    stopper.join(10)
    assert not stopper.is_alive()
    assert stored == [0]  # the one in the writer's hands finished; the queued ones did not run


def test_an_outside_insert_racing_the_straight_copy_is_a_conflict(db) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite serialises writers: no insert can race an import")
    user = create_user(db, None, username="lead", password="a-long-password", is_admin=True)
    lead = Actor(user.id, user.username, True)
    project = create_project(db, lead, slug="race", name="Race")
    outside = db.engine.connect()
    outside.execute(
        text(
            "INSERT INTO items (project_id, external_id, payload, priority, required_skills,"
            " difficulty, is_gold, overlap_target, annotation_count, state, created_at)"
            " VALUES (:p, 'b', '{}', 0, '[]', 'normal', false, 1, 0, 'open', now())"
        ),
        {"p": project["id"]},
    )  # not committed: the import sees an empty project and takes the straight COPY
    outcome: list[Any] = []

    def importing() -> None:
        data = b'{"id": "a", "data": {}}\n{"id": "b", "data": {}}\n'
        try:
            outcome.append(import_items(db, lead, "race", io.BytesIO(data), filename="r.jsonl"))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=importing)
    worker.start()
    with db.engine.connect() as watch:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            waiting = watch.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND query LIKE 'COPY items%'"
                )
            ).scalar()
            watch.rollback()
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, "the COPY never waited for the outside insert"
    outside.commit()
    outside.close()
    worker.join(20)
    (error,) = outcome
    assert isinstance(error, Conflict) and error.code == "import_conflict"
    with db.uow(read_only=True) as uow:
        ids = uow.session.scalars(select(Item.external_id).where(Item.project_id == project["id"]))
        assert list(ids) == ["b"]  # the outside row; nothing of the import
        assert uow.session.scalar(select(func.count()).select_from(Item)) == 1
