"""A project whose items cover every item-browser filter, for service, page and browser tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from labelcrew.db.models.core import Item
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.projects import batches, items
from labelcrew.services.projects.item_browser import ItemFilters, browse_items
from labelcrew.services.uow import Database
from labelcrew.services.work import assignment, submission
from tests.integration.team import Team, build


def label(db: Database, actor: Any, pid: int, sentiment: str) -> int:
    lease = assignment.next_item(db, actor, pid)
    item_id = int(lease["item"]["id"])
    key = f"{actor.username}-{item_id}"
    submission.submit(db, actor, pid, item_id, {"sentiment": sentiment}, idempotency_key=key)
    return item_id


def browse_team(db: Database) -> tuple[Team, dict[str, Any]]:
    """Six items at overlap 2: item a disagrees, item b agrees, item c is labelled by ann0 alone
    under guideline v2, one gold item, two items in batch b1."""
    team = build(db, annotators=2, items=6, overlap=2)
    pid = team.project_id
    ann0, ann1 = team.annotators
    a = label(db, ann0, pid, "positive")
    assert label(db, ann1, pid, "negative") == a
    b = label(db, ann0, pid, "neutral")
    assert label(db, ann1, pid, "neutral") == b
    rules = [{"number": "1.1", "text": "Label the overall sentiment."}]
    guidelines.save_draft(db, team.lead, pid, title="v2", body="", rules=rules)
    guidelines.publish(db, team.lead, pid, version=2, changelog="second")
    guidelines.acknowledge(db, ann0, pid, version=2)
    c = label(db, ann0, pid, "positive")
    every = [i["id"] for i in browse_items(db, pid, ItemFilters())["items"]]
    rest = [i for i in every if i not in (a, b, c)]
    items.set_gold(db, team.lead, pid, rest[0], value={"sentiment": "positive"}, rule="1.1")
    batch = batches.create_batch(db, team.lead, pid, name="b1", owner="lead")
    with db.uow() as uow:
        uow.session.execute(update(Item).where(Item.id.in_(rest[1:3])).values(batch_id=batch["id"]))
        uow.commit()
    found = {"a": a, "b": b, "c": c, "gold": rest[0], "batch": rest[1:3]}
    return team, {**found, "batch_id": batch["id"]}
