"""The review routes' response models keep the bodies as the services make them: a queue
reason's keys that only some producers write (a senior flag's `senior`, an annotator flag's
`reason`, a sampled label's `annotation_id`) stay absent where absent, never turn into null."""

from __future__ import annotations

from sqlalchemy import select

from labelcrew.api.schemas.review import ReviewLeaseOut, ReviewTaskOut
from labelcrew.db.models.feedback import ReviewTask
from labelcrew.services.work import assignment, difficulty_hooks, submission
from tests.integration.feedback_team import client, feedback_team, label


def test_queue_reasons_keep_only_the_keys_they_were_written_with(db):
    team = feedback_team(db, annotators=2, items=2, overlap=1)
    pid = team.project_id
    a0, a1 = team.annotators
    base = f"/api/v1/projects/{pid}"
    flagged = int(assignment.next_item(db, a0, pid)["item"]["id"])
    submission.submit(db, a0, pid, flagged, {"sentiment": "positive"}, idempotency_key=None)
    difficulty_hooks.flag_for_senior(db, a0, pid, flagged, reason="sarcasm or praise?")
    other = label(db, a1, pid, "negative")
    ann = client(db, a1)
    assert ann.post(f"{base}/items/{other}/flag", json={"reason": "typo"}).status_code == 201

    with db.uow(read_only=True) as uow:
        stored = {t.item_id: t.reasons for t in uow.session.scalars(select(ReviewTask))}
    lead = client(db, team.lead)
    queue = lead.get(f"{base}/review/queue")
    assert queue.status_code == 200, queue.text
    by_item = {t["item_id"]: t for t in queue.json()}
    assert by_item[flagged]["reasons"] == stored[flagged]
    assert set(by_item[flagged]["reasons"][0]) == {"kind", "senior", "reason", "at"}
    assert set(by_item[other]["reasons"][0]) == {"kind", "annotator_id", "reason", "at"}
    for task in queue.json():
        ReviewTaskOut.model_validate(task)

    lease = client(db, team.others["rev"]).post(f"{base}/review/next")
    assert lease.status_code == 200, lease.text
    body = lease.json()
    ReviewLeaseOut.model_validate(body)
    assert body["task"]["reasons"] == stored[body["task"]["item_id"]]
    assert body["gold"] is None and body["task"]["done_at"] is None


def test_review_routes_describe_their_bodies_in_openapi(db):
    team = feedback_team(db, annotators=1, items=1, overlap=1)
    spec = client(db, team.lead).get("/openapi.json").json()
    prefix = "/api/v1/projects/{project_id}"
    for path, method, status in (
        ("/review/next", "post", "200"),
        ("/items/{item_id}/reviews", "post", "201"),
        ("/items/{item_id}/reviews", "get", "200"),
        ("/review/stats", "get", "200"),
        ("/my/feedback", "get", "200"),
        ("/feedback/settings", "put", "200"),
    ):
        content = spec["paths"][prefix + path][method]["responses"][status]["content"]
        assert content["application/json"]["schema"] != {}, (method, path)
