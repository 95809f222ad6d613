"""Issue 14, one test per gold leak found: what an annotator could read that told gold apart.

Each leak, and what closes it:
1. batch item lists (`GET .../batches/{id}/items`) and live batch counts: staff only
   (`batch.detail_read`); annotators see batches without counts; gold sits in batches like any
   item (imported with its batch, or marked gold where it is);
2. the demo's gold had the lowest ids: now at seeded random positions, and batched;
3. the weekly report: annotators read completed weeks only, without open-item counts and
   without which items the examples are;
4. a release's excluded list (never gold): staff only (`release.items_read`);
5. feedback on a gold miss showed the gold value: feedback shows the fields corrected, the
   rules and the comment, never a corrected value (for any item, so it marks nothing);
6. flagging an item answered with the item's whole review task (a `gold_miss` reason of
   someone else): now only the caller's own flags;
7. calibration sessions picked hard items among open ones, never gold, so an invitee learnt
   that open items they might still be served were not gold: picks now come from finished
   items only (gold stays open), which says nothing about any item still in the queue;
8. the order of service (gold at its own pace through its own ids): `test_gold_serving_order`.

What is left by design: the review policy queues every gold miss (ordinary items only at the
audit rate), so a review's existence and verdict, which arrive after the item was answered,
still lean towards gold; the lead sets that policy.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from labelcrew.db.models.core import Item
from labelcrew.demo import sentiment as demo
from labelcrew.errors import NotFound
from labelcrew.services.calibration import sessions as calibration
from labelcrew.services.projects import batches, items, projects
from labelcrew.services.releases import publish as releases
from labelcrew.services.work import assignment, submission
from tests.integration.feedback_team import client, feedback_team, label
from tests.integration.team import add_items, build

COUNTS = {"items", "items_done", "progress"}


def _batched_team(db, *, n=8, gold=(2, 5)):
    """A feedback team whose items sit in two batches, some of them gold."""
    team = feedback_team(db, annotators=1, items=0, overlap=1)
    pid = team.project_id
    add_items(db, pid, n)
    ids = [batches.create_batch(db, team.admin, pid, name=f"b{k}")["id"] for k in (0, 1)]
    with db.uow() as uow:
        for item in uow.session.scalars(select(Item).where(Item.project_id == pid)):
            item.batch_id = ids[item.id % 2]
        uow.commit()
    for item_id in gold:
        items.set_gold(db, team.admin, pid, item_id, value={"sentiment": "negative"}, rule="1.1")
    return team, ids


def test_batch_items_and_counts_are_staff_only(db):
    team, ids = _batched_team(db)
    pid = team.project_id
    base = f"/api/v1/projects/{pid}"
    ann, rev, lead = (
        client(db, team.annotators[0]),
        client(db, team.others["rev"]),
        client(db, team.lead),
    )
    for b in ids:
        assert ann.get(f"{base}/batches/{b}/items").status_code == 403
        assert rev.get(f"{base}/batches/{b}/items").status_code == 200
    assert ann.get(f"{base}/handoffs").status_code == 403
    assert rev.get(f"{base}/handoffs").status_code == 200
    seen = ann.get(f"{base}/batches").json()
    assert len(seen) == 2 and all(not COUNTS & set(b) for b in seen)
    full = lead.get(f"{base}/batches").json()
    assert all(set(b) >= COUNTS for b in full)
    # Gold made gold where it sits keeps its batch, and counts like any item.
    assert sum(b["items"] for b in full) == 8
    with db.uow(read_only=True) as uow:
        gold = uow.session.scalars(select(Item.batch_id).where(Item.is_gold)).all()
    assert len(gold) == 2 and None not in gold


def test_a_gold_lease_looks_like_any_other_and_claims_its_batch(db):
    team, ids = _batched_team(db, n=4, gold=(1,))
    pid, ann = team.project_id, team.annotators[0]
    projects.update_project(db, team.admin, pid, {"gold_rate": 0.5})
    shapes = {}
    for _ in range(4):
        lease = assignment.next_item(db, ann, pid)
        item_id = lease["item"]["id"]
        shapes[item_id] = (sorted(lease), sorted(lease["item"]), lease["queue"])
        submission.submit(db, ann, pid, item_id, {"sentiment": "negative"}, idempotency_key=None)
    assert 1 in shapes and len(set(map(repr, shapes.values()))) == 1
    c = client(db, ann)
    # Releasing the claim on the gold item's batch behaves as for any batch it served.
    for b in ids:
        assert c.post(f"/api/v1/projects/{pid}/batches/{b}/release-claim").status_code == 200


def test_demo_gold_is_interleaved_at_random_ids_and_batched(db):
    demo.seed(db, items_count=60, history_days=1)
    pid = projects.get_project(db, demo.SLUG)["id"]
    with db.uow(read_only=True) as uow:
        rows = uow.session.execute(
            select(Item.id, Item.is_gold, Item.state, Item.batch_id)
            .where(Item.project_id == pid)
            .order_by(Item.id)
        ).all()
    ids = [r.id for r in rows]
    gold = [r.id for r in rows if r.is_gold]
    assert len(gold) == 12
    assert gold != ids[:12]  # not the lowest ids
    ranks = [ids.index(g) for g in gold]
    assert min(ranks) < 20 and max(ranks) >= 40  # spread over the whole range
    # Seeded: the same positions on every start (the demo's rng draws the texts, then gold).
    rng = random.Random(1)
    demo._texts(rng, 60)
    assert ranks == sorted(rng.sample(range(60), 12))
    open_rows = [r for r in rows if r.state == "open"]
    assert all(r.batch_id is not None for r in open_rows)  # gold and ordinary alike
    assert any(r.is_gold for r in open_rows)


def test_weekly_report_for_annotators_has_no_live_counts(db, clock):
    team, _ = _batched_team(db)
    pid = team.project_id
    base = f"/api/v1/projects/{pid}"
    label(db, team.annotators[0], pid, "negative")
    clock.advance(timedelta(days=7).total_seconds())
    ann, lead = client(db, team.annotators[0]), client(db, team.lead)
    current = clock.now.isocalendar()
    week = f"{current[0]}-W{current[1]:02d}"
    refused = ann.get(f"{base}/reports/weekly", params={"week": week})
    assert refused.status_code == 422 and refused.json()["code"] == "week_not_over"
    assert lead.get(f"{base}/reports/weekly", params={"week": week}).status_code == 200
    mine = ann.get(f"{base}/reports/weekly").json()
    assert "unbatched_open_items" not in mine["priorities"]
    assert all("open_items" not in b for b in mine["priorities"]["batches"])
    assert all(not {"item_id", "external_id", "excerpt"} & set(e) for e in mine["examples"])
    assert ann.get(f"{base}/reports/weekly", params={"format": "md"}).status_code == 200
    full = lead.get(f"{base}/reports/weekly").json()
    assert "unbatched_open_items" in full["priorities"]
    assert all("open_items" in b for b in full["priorities"]["batches"])


def test_release_excluded_list_is_staff_only(db):
    team, _ = _batched_team(db)
    pid = team.project_id
    label(db, team.annotators[0], pid, "negative")
    releases.create_release(db, team.admin, pid, name="v1")
    base = f"/api/v1/projects/{pid}/releases/v1"
    ann, rev = client(db, team.annotators[0]), client(db, team.others["rev"])
    assert ann.get(f"{base}/excluded").status_code == 403
    assert ann.get(f"{base}/export").status_code == 403
    assert ann.get(base).status_code == 200  # the notes and counts stay readable
    excluded = rev.get(f"{base}/excluded").json()
    assert excluded and all(e["item_id"] not in (2, 5) for e in excluded)


def test_feedback_on_a_gold_miss_shows_the_rule_not_the_value(db):
    team = feedback_team(db, annotators=1, items=0, overlap=1)
    pid, ann = team.project_id, team.annotators[0]
    add_items(db, pid, 2)
    items.set_gold(db, team.admin, pid, 1, value={"sentiment": "negative"}, rule="4.2")
    projects.update_project(db, team.admin, pid, {"gold_rate": 1.0})
    assert label(db, ann, pid, "positive") == 1
    rev = client(db, team.others["rev"])
    base = f"/api/v1/projects/{pid}"
    lease = rev.post(f"{base}/review/next").json()
    assert lease["item"]["id"] == 1 and lease["gold"]["value"]["sentiment"] == "negative"
    body = {
        "annotation_id": lease["annotations"][0]["annotation_id"],
        "verdict": "correct",
        "corrected_value": {"sentiment": "negative"},
        "error_tags": ["wrong_class"],
        "rule_refs": ["4.2"],
        "comment": "see the rule",
    }
    assert rev.post(f"{base}/items/1/reviews", json=body).status_code == 201
    (entry,) = client(db, ann).get(f"{base}/my/feedback").json()
    assert entry["verdict"] == "correct" and entry["corrected_fields"] == ["sentiment"]
    assert entry["rules"] == [{"number": "4.2", "title": "", "text": "Sarcasm counts as negative."}]
    assert "corrected_value" not in entry
    text = repr({k: v for k, v in entry.items() if k != "rules"})
    assert "negative" not in text  # the gold answer is nowhere (the rule text is the guideline's)


def test_flag_answers_with_the_callers_flag_only(db):
    team = feedback_team(db, annotators=2, items=0, overlap=1)
    pid = team.project_id
    a0, a1 = team.annotators
    add_items(db, pid, 2)  # gold is served where it lies: before an ordinary item
    items.set_gold(db, team.admin, pid, 1, value={"sentiment": "negative"}, rule="1.1")
    projects.update_project(db, team.admin, pid, {"gold_rate": 1.0})
    assert label(db, a0, pid, "positive") == 1  # a gold miss: the item is queued for review
    assert label(db, a1, pid, "negative") == 1
    resp = client(db, a1).post(f"/api/v1/projects/{pid}/items/1/flag", json={"reason": "odd"})
    assert resp.status_code == 201
    answer = resp.json()
    assert set(answer) == {"item_id", "priority", "reasons"}
    assert [r["kind"] for r in answer["reasons"]] == ["flag"]
    assert "gold" not in repr(answer)


def test_an_expired_gold_lease_comes_back_like_an_ordinary_one(db, clock):
    team = feedback_team(db, annotators=3, items=0, overlap=1)
    pid = team.project_id
    a0, a1, a2 = team.annotators
    add_items(db, pid, 2)  # gold is served where it lies: before an ordinary item
    items.set_gold(db, team.admin, pid, 1, value={"sentiment": "negative"}, rule="1.1")
    projects.update_project(db, team.admin, pid, {"gold_rate": 1.0})
    assert label(db, a1, pid, "negative") == 1  # gold's label count now meets its target
    assert assignment.next_item(db, a0, pid)["item"]["id"] == 1
    clock.advance(3600)  # the lease expires
    assert label(db, a2, pid, "negative") == 1
    # As for an ordinary item whose slot nobody took, the holder gets the same lease back.
    assert assignment.next_item(db, a0, pid)["item"]["id"] == 1
    submission.submit(db, a0, pid, 1, {"sentiment": "negative"}, idempotency_key=None)


def test_calibration_picks_only_finished_items(db):
    """Every item is split 1-1 (the hardest kind); items 1-10 still wait for a third label
    (as dynamic overlap leaves split items open) and 11-15 are gold: an automatic session
    picks neither, only finished items, so being in a session tells nothing about open work."""
    team = build(db, annotators=2, items=40, overlap=2)
    pid = team.project_id
    for annotator, value in zip(team.annotators, ("positive", "negative"), strict=True):
        while True:
            try:
                item_id = assignment.next_item(db, annotator, pid)["item"]["id"]
            except NotFound:
                break
            submission.submit(
                db, annotator, pid, item_id, {"sentiment": value}, idempotency_key=None
            )
    for item_id in range(11, 16):
        items.set_gold(db, team.admin, pid, item_id, value={"sentiment": "negative"}, rule="1.1")
    with db.uow() as uow:
        for item in uow.session.scalars(select(Item).where(Item.project_id == pid)):
            if item.id <= 15:  # open, as gold and items awaiting more labels are
                item.state, item.overlap_target = "open", 3
        uow.commit()
    made = calibration.create_session(db, team.lead, pid, size=20, invite=["ann0"])
    picked = [i["item_id"] for i in made["items"]]
    assert len(picked) == 20 and {i["reason"] for i in made["items"]} == {"disagreed"}
    with db.uow(read_only=True) as uow:
        rows = uow.session.execute(select(Item.id, Item.state).where(Item.id.in_(picked)))
        states = {row.state for row in rows}
    assert states == {"done"} and min(picked) > 15
    shown = calibration.session_items(db, team.annotators[0], pid, made["id"])["items"]
    assert sorted(r["item_id"] for r in shown) == sorted(picked)
