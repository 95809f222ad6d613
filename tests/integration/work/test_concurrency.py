"""The assignment engine under concurrency, on both backends.

Sixteen threads of distinct annotators and eight threads of one shared annotator hammer
next/submit on 2,000 items until every thread hears `queue_empty`. Afterwards the database must
show: no item over its overlap, no annotator twice on an item, every acknowledged submit stored,
exactly items x overlap annotations, and no second annotation for a repeated Idempotency-Key.
The services are called directly; each call is its own unit of work on the shared Database.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from labelcrew.db.models.core import Annotation, Item
from labelcrew.errors import Conflict, NotFound
from labelcrew.services.accounts.users import Actor
from labelcrew.services.uow import Database
from labelcrew.services.work import assignment, submission
from tests.integration.team import build

ITEMS = 2_000
DISTINCT_THREADS = 16
SHARED_THREADS = 8
VALUES = ({"sentiment": "positive"}, {"sentiment": "negative"}, {"sentiment": "neutral"})
# Conflicts that concurrency makes legitimate: the shared annotator's threads race for its WIP
# slots, and one thread may submit an item another thread of the same annotator already did.
RETRYABLE_NEXT = {"wip_limit_reached"}
RETRYABLE_SUBMIT = {"no_lease"}


@dataclass
class Ledger:
    """What the threads were told: every acknowledged submit, and the replays they made."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: list[tuple[int, int, int, bool]] = field(default_factory=list)
    replays: int = 0
    conflicts: Counter[str] = field(default_factory=Counter)

    def ack(self, annotator: int, item: int, annotation: int, created: bool) -> None:
        with self.lock:
            self.acknowledged.append((annotator, item, annotation, created))

    def conflict(self, code: str) -> None:
        with self.lock:
            self.conflicts[code] += 1


def work(
    db: Database,
    actor: Actor,
    project_id: int,
    ledger: Ledger,
    *,
    seed: int,
    another: bool,
    shared_keys: bool,
) -> None:
    """Loop next -> submit until the queue is empty for this annotator.

    `another` asks for a fresh item beside the held ones (so the shared annotator's threads fill
    its WIP limit); the loop only ends on `queue_empty` from a plain next, which first returns
    any lease the annotator still holds. `shared_keys` derives the Idempotency-Key from
    (annotator, item), so two threads of one annotator submitting the same item send the same
    key; otherwise each attempt has its own key and the loser of the race gets `no_lease`.
    """
    rng = random.Random(seed)
    ask_another = another
    attempt = 0
    while True:
        try:
            lease = assignment.next_item(db, actor, project_id, another=ask_another)
        except NotFound as exc:
            assert exc.code == "queue_empty", exc.to_dict()
            if ask_another:
                ask_another = False  # drain the leases this annotator still holds
                continue
            return
        except Conflict as exc:
            assert exc.code in RETRYABLE_NEXT, exc.to_dict()
            ledger.conflict(exc.code)
            ask_another = False
            continue
        ask_another = another
        item_id = lease["item"]["id"]
        attempt += 1
        key = f"{actor.user_id}:{item_id}" if shared_keys else f"{actor.user_id}:{seed}:{attempt}"
        value = rng.choice(VALUES)
        try:
            out = submission.submit(db, actor, project_id, item_id, value, idempotency_key=key)
        except Conflict as exc:
            assert exc.code in RETRYABLE_SUBMIT, exc.to_dict()
            ledger.conflict(exc.code)
            continue
        assert out["item_id"] == item_id
        ledger.ack(actor.user_id, item_id, out["annotation_id"], out["created"])
        if rng.random() < 0.05:  # a client retrying after a lost response
            again = submission.submit(db, actor, project_id, item_id, value, idempotency_key=key)
            assert again["annotation_id"] == out["annotation_id"] and not again["created"]
            with ledger.lock:
                ledger.replays += 1


def still_has_work(db: Database, annotators: list[Actor], project_id: int) -> list[str]:
    """Annotators that a fresh next serves, after they were told the queue was empty."""
    found = []
    for actor in annotators:
        try:
            lease = assignment.next_item(db, actor, project_id)
        except NotFound:
            continue
        found.append(f"{actor.username} (item {lease['item']['id']})")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("overlap", [1, 3])
def test_many_annotators_drain_the_queue_without_duplicates_or_lost_submits(
    db: Database, overlap: int
) -> None:
    team = build(db, annotators=DISTINCT_THREADS + 1, items=ITEMS, overlap=overlap)
    *distinct, shared = team.annotators
    ledger = Ledger()
    jobs = [(a, i, False, True) for i, a in enumerate(distinct)]
    jobs += [(shared, DISTINCT_THREADS + i, i % 2 == 0, i % 4 < 2) for i in range(SHARED_THREADS)]
    start = threading.Barrier(len(jobs))

    def run(actor: Actor, seed: int, another: bool, shared_keys: bool) -> None:
        start.wait()
        work(
            db, actor, team.project_id, ledger, seed=seed, another=another, shared_keys=shared_keys
        )

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(run, *job) for job in jobs]
        for future in futures:
            future.result()  # re-raises any unexpected exception from a thread

    with db.uow(read_only=True) as uow:
        rows = uow.session.execute(
            select(
                Annotation.id,
                Annotation.item_id,
                Annotation.annotator_id,
                Annotation.idempotency_key,
            ).where(Annotation.project_id == team.project_id, Annotation.superseded_at.is_(None))
        ).all()
        items = uow.session.execute(
            select(Item.id, Item.state, Item.annotation_count, Item.overlap_target).where(
                Item.project_id == team.project_id
            )
        ).all()
        total = uow.session.scalar(select(func.count()).select_from(Annotation))

    per_item = Counter(item for _, item, _, _ in rows)
    assert max(per_item.values()) <= overlap, "an item got more live annotations than its overlap"
    pairs = Counter((item, annotator) for _, item, annotator, _ in rows)
    assert pairs.most_common(1)[0][1] == 1, "an annotator labeled an item twice"
    keys = Counter((annotator, key) for _, _, annotator, key in rows)
    assert keys.most_common(1)[0][1] == 1, "an Idempotency-Key made a second annotation"

    stored = {annotation: (item, annotator) for annotation, item, annotator, _ in rows}
    for annotator, item, annotation, _created in ledger.acknowledged:
        assert stored.get(annotation) == (item, annotator), f"acknowledged {annotation} is lost"
    created = [a for _, _, a, was_created in ledger.acknowledged if was_created]
    assert len(created) == len(set(created)) == len(rows) == total

    assert len(rows) == ITEMS * overlap, (
        f"every thread heard queue_empty with {len(rows)} of {ITEMS * overlap} labels stored; "
        f"a second look still finds work for {still_has_work(db, team.annotators, team.project_id)}"
    )
    assert all(per_item[i] == overlap for i, *_ in items)
    assert {(state, count, target) for _, state, count, target in items} == {
        ("done", overlap, overlap)
    }
    assert ledger.replays > 0, "the test made no deliberate duplicate submit"
    assert sum(1 for a, *_ in ledger.acknowledged if a == shared.user_id) > 0
