"""The workspace's progress count (issue 17): an annotator's own labels today and in all, their
skips and the batches they hold, over HTTP; other members' work does not count."""

from __future__ import annotations

from labelcrew.services.projects import batches
from labelcrew.services.work import assignment, returns, submission
from tests.integration.feedback_team import client
from tests.integration.team import add_items, build


def test_my_progress_counts_my_own_work(db, clock):
    team = build(db, annotators=2, items=0)
    pid = team.project_id
    with db.uow() as uow:
        batch_id = batches.get_or_create(uow, pid, "week-49")
        uow.commit()
    add_items(db, pid, 4, batch_id=batch_id)
    ann0, ann1 = team.annotators
    url = f"/api/v1/projects/{pid}/my/progress"
    assert client(db, ann0).get(url).json() == {
        "submitted": 0, "today": 0, "skipped": 0, "batches": []
    }  # fmt: skip
    item = assignment.next_item(db, ann0, pid)["item"]["id"]
    submission.submit(db, ann0, pid, item, {"sentiment": "positive"}, idempotency_key="a")
    clock.advance(86400)  # the next day
    item = assignment.next_item(db, ann0, pid)["item"]["id"]
    submission.submit(db, ann0, pid, item, {"sentiment": "negative"}, idempotency_key="b")
    item = assignment.next_item(db, ann0, pid)["item"]["id"]
    returns.give_back(db, ann0, pid, item, skip=True, reason="not English")
    add_items(db, pid, 1, start=100)  # the claimed batch is ann0's: ann1 works outside it
    other = assignment.next_item(db, ann1, pid)["item"]["id"]
    submission.submit(db, ann1, pid, other, {"sentiment": "neutral"}, idempotency_key="c")
    assert client(db, ann0).get(url).json() == {
        "submitted": 2, "today": 1, "skipped": 1, "batches": ["week-49"]
    }  # fmt: skip
    assert client(db, team.lead).get(url).status_code == 403  # annotators' page
