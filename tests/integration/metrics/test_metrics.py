"""Metrics on a hand-checkable case, on both backends, with data made through the services.

Two annotators, clock-controlled lease-to-submit times of 10, 20, ... 100 s:
- ann0: gold 4 (10 s, right), gold 5 (20 s, wrong), items 1, 2, 3 (30, 40, 50 s) positive;
- ann1: gold 4 (60 s, right), gold 5 (70 s, right), items 1, 2, 3 (80, 90, 100 s) positive,
  negative, positive.
So: 10 labels; gold 3 of 4 right; overlap items 1, 2, 3 of which item 2 disagrees (1/3);
time per item median (nearest rank 5 of 10) 50 s, p90 (rank 9) 90 s.
"""

from __future__ import annotations

import pytest

from labelcrew.errors import ValidationFailed
from labelcrew.services.metrics import dashboard as metrics
from labelcrew.services.projects import batches, items, projects
from labelcrew.services.quality import measures as quality
from labelcrew.services.work import assignment, submission
from tests.integration.team import add_items, build

ANSWERS = {  # items 1 and 2 are gold (positive, negative); 3-5 are the batch
    0: {1: "positive", 2: "positive", 3: "positive", 4: "positive", 5: "positive"},
    1: {1: "positive", 2: "negative", 3: "positive", 4: "negative", 5: "positive"},
}


def label(db, clock, actor, pid, answers, seconds):
    """Lease, wait, submit: returns the item ids in the order served."""
    served = []
    for s in seconds:
        lease = assignment.next_item(db, actor, pid)
        item_id = lease["item"]["id"]
        clock.advance(s)
        submission.submit(
            db, actor, pid, item_id, {"sentiment": answers[item_id]}, idempotency_key=None
        )
        served.append(item_id)
    return served


def scenario(db, clock):
    team = build(db, annotators=2, items=0, overlap=2)
    pid = team.project_id
    batch = batches.create_batch(db, team.admin, pid, name="b1")
    add_items(db, pid, 2, overlap=2, start=10)
    add_items(db, pid, 3, overlap=2, batch_id=batch["id"])
    items.set_gold(db, team.admin, pid, 1, value={"sentiment": "positive"}, rule="1.1")
    items.set_gold(db, team.admin, pid, 2, value={"sentiment": "negative"}, rule="1.1")
    projects.update_project(db, team.admin, pid, {"gold_rate": 1.0})
    served0 = label(db, clock, team.annotators[0], pid, ANSWERS[0], [10, 20, 30, 40, 50])
    served1 = label(db, clock, team.annotators[1], pid, ANSWERS[1], [60, 70, 80, 90, 100])
    # gold is served where it lies in the queue: here, before the batch
    assert served0 == served1 == [1, 2, 3, 4, 5]
    return team, batch["id"]


def test_totals_are_hand_checkable(db, clock):
    team, _ = scenario(db, clock)
    m = metrics.project_metrics(db, team.project_id)
    assert m["labels"] == 10 and m["members_active"] == 2
    assert (m["gold_answers"], m["gold_accuracy"]) == (4, 0.75)
    assert (m["overlap_items"], m["disagreed_items"]) == (3, 1)
    assert m["disagreement_rate"] == pytest.approx(1 / 3)
    assert m["time_by_queue"]["annotation"] == {
        "n": 10,
        "median_s": 50,
        "p90_s": 90,
        "mean_s": 55.0,
    }
    assert [r["labels"] for r in m["throughput"]["per_member"]] == [5, 5]
    assert m["throughput"]["per_day"] == [{"day": "2026-11-23", "labels": 10}]
    assert m["wip"]["live_leases"] == 0
    assert m["queue_depth"] == {"open_items": 0, "labels_needed": 0}
    assert m["review"]["available"] in (True, False)


def test_group_by_member_and_filters(db, clock):
    team, batch_id = scenario(db, clock)
    pid = team.project_id
    ann1 = team.annotators[1]
    by_member = {
        s["member"]: s for s in metrics.project_metrics(db, pid, group_by="member")["series"]
    }
    assert by_member["ann0"]["gold_accuracy"] == 0.5 and by_member["ann1"]["gold_accuracy"] == 1.0
    # an item counts for everyone who labelled it
    assert by_member["ann0"]["overlap_items"] == by_member["ann1"]["overlap_items"] == 3
    assert by_member["ann0"]["time_per_item"]["median_s"] == 30  # 10, 20, 30, 40, 50
    mine = metrics.project_metrics(db, pid, member_id=ann1.user_id)
    assert mine["labels"] == 5 and mine["time_by_queue"]["annotation"]["p90_s"] == 100
    in_batch = metrics.project_metrics(db, pid, batch_id=batch_id)
    assert in_batch["labels"] == 6 and in_batch["gold_answers"] == 0
    assert (in_batch["overlap_items"], in_batch["disagreed_items"]) == (3, 1)


def test_rollups_match_live_and_keep_up_with_new_labels(db, clock):
    team, _ = scenario(db, clock)
    pid = team.project_id
    clock.advance(2 * 86400)  # the first day is now closed and goes into the rollups
    add_items(db, pid, 2, overlap=2, start=20)
    ann0, ann1 = team.annotators
    label(db, clock, ann0, pid, {6: "neutral", 7: "neutral"}, [5, 5])
    label(db, clock, ann1, pid, {6: "neutral", 7: "positive"}, [5, 5])
    rolled = metrics.project_metrics(db, pid, group_by="day")
    live = metrics.project_metrics(db, pid, group_by="day", live=True)
    assert rolled["source"] == "rollups+live" and live["source"] == "live"
    for key in (
        "labels",
        "gold_accuracy",
        "overlap_items",
        "disagreed_items",
        "time_by_queue",
        "series",
        "throughput",
    ):
        assert rolled[key] == live[key], key
    assert rolled["labels"] == 14 and rolled["disagreed_items"] == 2
    assert [s["key"] for s in rolled["series"]] == ["2026-11-23", "2026-11-25"]
    weekly = metrics.project_metrics(db, pid, group_by="week")
    assert [s["key"] for s in weekly["series"]] == ["2026-W48"]


def test_wip_queue_depth_agreement_and_bad_input(db, clock):
    team, _ = scenario(db, clock)
    pid = team.project_id
    add_items(db, pid, 2, overlap=2, start=30)
    assignment.next_item(db, team.annotators[0], pid)
    quality.measure_agreement(db, pid, record=True)
    m = metrics.project_metrics(db, pid)
    assert m["wip"]["live_leases"] == 1 and m["wip"]["by_member"] == {"ann0": 1}
    assert m["queue_depth"] == {"open_items": 2, "labels_needed": 4}
    assert len(m["agreement"]) == 1 and m["agreement"][0]["ratings"] == 6
    empty = metrics.project_metrics(db, pid, date_from="2026-10-01", date_to="2026-10-31")
    assert empty["labels"] == 0 and empty["disagreement_rate"] is None
    with pytest.raises(ValidationFailed) as bad:
        metrics.project_metrics(db, pid, date_from="2026-12-01", date_to="2026-11-01")
    assert bad.value.code == "bad_period"
    with pytest.raises(ValidationFailed) as bad:
        metrics.project_metrics(db, pid, group_by="hour")
    assert bad.value.field == "group_by"
