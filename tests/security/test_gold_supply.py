"""Issue 14: gold is served only where it lies in the queue and never once the ordinary queue is
empty, so neither the order nor "items after an empty queue" tells it apart; the lead is told
when the queue holds too little gold for the rates, or gold that lies after every open item."""

from __future__ import annotations

import pytest

from labelcrew.errors import NotFound
from labelcrew.services.projects import items, projects
from labelcrew.services.quality.gold_supply import gold_supply
from labelcrew.services.work import assignment, submission
from tests.integration.feedback_team import client
from tests.integration.team import add_items, build

GOLD = {"sentiment": "negative"}


def _label_all(db, actor, pid):
    served = []
    while True:
        try:
            item_id = assignment.next_item(db, actor, pid)["item"]["id"]
        except NotFound:
            return served
        submission.submit(db, actor, pid, item_id, {"sentiment": "positive"}, idempotency_key=None)
        served.append(item_id)


def test_gold_after_the_queue_waits_and_the_lead_is_told(db):
    team = build(db, annotators=1, items=0)
    pid = team.project_id
    add_items(db, pid, 6)
    add_items(db, pid, 2, start=100)  # a gold file imported after the items: ids 7 and 8
    for item_id in (7, 8):
        items.set_gold(db, team.admin, pid, item_id, value=GOLD, rule="1.1")
    projects.update_project(db, team.admin, pid, {"gold_rate": 1.0})
    supply = gold_supply(db, pid)
    assert (supply["open_items"], supply["open_gold"], supply["gold_after_queue"]) == (6, 2, 2)
    assert supply["gold_share"] == 0.0 and supply["short_of"] == ["gold_rate"]
    # Nothing is served out of order, and nothing once the ordinary items are done: the queue
    # answers "empty" as it does for everyone, not with the gold left over.
    served = _label_all(db, team.annotators[0], pid)
    assert served == [1, 2, 3, 4, 5, 6]
    with pytest.raises(NotFound):
        assignment.next_item(db, team.annotators[0], pid)
    # Items added after the gold put it back in the queue, in order.
    add_items(db, pid, 2, start=200)
    assert _label_all(db, team.annotators[0], pid) == [7, 8, 9, 10]


def test_a_queue_with_enough_gold_is_not_flagged_and_the_pages_say_so(db):
    team = build(db, annotators=1, items=0)
    pid = team.project_id
    add_items(db, pid, 10)
    items.set_gold(db, team.admin, pid, 3, value=GOLD, rule="1.1")
    projects.update_project(db, team.admin, pid, {"probation_gold_rate": 0.15})
    supply = gold_supply(db, pid)
    assert supply["gold_share"] == pytest.approx(0.1)
    assert supply["short_of"] == ["probation_gold_rate"]  # 10 % >= 7 %, < 15 %
    lead = client(db, team.lead)
    answer = lead.get(f"/api/v1/projects/{pid}/quality/gold/supply")
    assert answer.status_code == 200 and answer.json() == supply
    page = lead.get(f"/projects/{pid}/settings").text
    assert 'data-testid="gold-supply"' in page and "below the gold rate (15% on probation)" in page
    dashboard = lead.get(f"/projects/{pid}/dashboard").text
    assert 'data-testid="gold-supply"' in dashboard
    annotator = client(db, team.annotators[0])
    assert annotator.get(f"/api/v1/projects/{pid}/quality/gold/supply").status_code == 403
    assert "gold-supply" not in annotator.get(f"/projects/{pid}/settings").text
