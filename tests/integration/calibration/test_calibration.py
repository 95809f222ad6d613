"""Calibration sessions: hard items picked from disagreement, blind answers outside the
annotation counts, the split and alpha once revealed, decisions into the guideline draft, and
the alpha kept over time."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from labelcrew.app import create_app
from labelcrew.db.models.core import Item
from labelcrew.db.models.quality import QualitySnapshot
from labelcrew.errors import Conflict, Forbidden, NotFound, ValidationFailed
from labelcrew.services.accounts import users as accounts
from labelcrew.services.calibration import results as calibration_review
from labelcrew.services.calibration import sessions as calibration
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.projects import projects
from labelcrew.services.work import assignment, submission
from tests.integration.team import build, user


def _label(db, team, annotator, value_for) -> None:
    while True:
        try:
            lease = assignment.next_item(db, annotator, team.project_id)
        except NotFound:  # queue_empty
            return
        item_id = lease["item"]["id"]
        submission.submit(
            db,
            annotator,
            team.project_id,
            item_id,
            {"sentiment": value_for(item_id)},
            idempotency_key=None,
        )


def _disagreeing_team(db):
    """24 items at overlap 2: ann0 says positive everywhere, ann1 negative on items 1-21."""
    team = build(db, annotators=3, items=24, overlap=2)
    _label(db, team, team.annotators[0], lambda i: "positive")
    _label(db, team, team.annotators[1], lambda i: "negative" if i <= 21 else "positive")
    qa = user(db, "qa1")
    projects.set_member(db, team.admin, team.project_id, username="qa1", roles=["qa"])
    team.others["qa"] = qa
    return team


def test_a_blind_session_from_disagreed_items_to_rules_and_trend(db):
    team = _disagreeing_team(db)
    pid, qa = team.project_id, team.others["qa"]
    ann0, ann1, outsider = team.annotators
    with pytest.raises(Conflict) as few:
        calibration.create_session(db, qa, pid, pick="escalated", size=20)
    assert few.value.code == "not_enough_hard_items"
    made = calibration.create_session(
        db, qa, pid, title="week 48", size=20, invite=["ann0", "ann1"]
    )
    sid = made["id"]
    assert len(made["items"]) == 20 and {i["reason"] for i in made["items"]} == {"disagreed"}
    item_ids = [i["item_id"] for i in made["items"]]
    assert all(i <= 21 for i in item_ids)

    blind = calibration.session_items(db, ann0, pid, sid)
    assert blind["revealed"] is False and len(blind["items"]) == 20
    assert all(set(row) == {"item_id", "payload", "my_answer"} for row in blind["items"])
    with pytest.raises(ValidationFailed) as bad:
        calibration.answer(db, ann0, pid, sid, item_ids[0], {"sentiment": "furious"})
    assert bad.value.field == "sentiment"
    with pytest.raises(Forbidden):
        calibration.session_items(db, outsider, pid, sid)
    for item_id in item_ids:
        calibration.answer(db, ann0, pid, sid, item_id, {"sentiment": "positive"})
    for n, item_id in enumerate(item_ids):
        if n == 10:  # half-way, ann1 still sees nothing of ann0's answers
            assert "split" not in calibration.session_items(db, ann1, pid, sid)["items"][0]
        value = "negative" if n < 10 else "positive"
        calibration.answer(db, ann1, pid, sid, item_id, {"sentiment": value})
    with pytest.raises(Conflict) as final:
        calibration.answer(db, ann0, pid, sid, item_ids[0], {"sentiment": "neutral"})
    assert final.value.code == "answers_final"
    seen = calibration.session_items(db, ann0, pid, sid)
    assert seen["revealed"] is True
    assert seen["items"][0]["split"] == {"negative": 1, "positive": 1}
    with db.uow(read_only=True) as uow:  # answers are not annotations
        counts = {i.id: i.annotation_count for i in uow.session.scalars(select(Item))}
    assert all(counts[i] == 2 for i in item_ids)

    shown = calibration_review.show_session(db, team.lead, pid, sid)
    # 10 agreeing and 10 split items between two raters: D_o = 20/40, D_e = 600/1560,
    # alpha = 1 - D_o / D_e = -0.3 (Krippendorff 2011, nominal).
    assert shown["results"]["alpha"] == pytest.approx(-0.3)
    assert [r["answered"] for r in shown["invitees"]] == [20, 20]
    assert shown["results"]["items"][0]["split"] == {"negative": 1, "positive": 1}

    calibration_review.decide(
        db,
        qa,
        pid,
        sid,
        item_id=item_ids[0],
        decision="Mixed reviews are neutral.",
        rule_number="1.1",
    )
    calibration_review.decide(
        db, qa, pid, sid, item_id=item_ids[1], decision="Irony counts as negative."
    )
    with pytest.raises(ValidationFailed):
        calibration_review.decide(db, qa, pid, sid, item_id=item_ids[2], decision=" ")
    drafted = calibration_review.decisions_to_draft(db, team.lead, pid, sid)
    assert drafted["drafted_rules"] == ["1.1", "2.1"]
    rules = {r["number"]: r for r in drafted["draft"]["rules"]}
    assert "Clarified: Mixed reviews are neutral." in rules["1.1"]["text"]
    assert rules["2.1"]["text"].startswith("Irony counts as negative.")
    assert rules["2.1"]["examples"][0]["item_id"] == item_ids[1]
    with pytest.raises(Conflict):
        calibration_review.decisions_to_draft(db, team.lead, pid, sid)
    guidelines.publish(db, team.lead, pid, version=2, changelog="calibration week 48")

    closed = calibration_review.close_session(db, qa, pid, sid)
    assert closed["alpha"] == pytest.approx(-0.3)
    with pytest.raises(Conflict):
        calibration.answer(db, ann1, pid, sid, item_ids[0], {"sentiment": "neutral"})
    trend = calibration_review.list_sessions(db, team.lead, pid)
    assert [(s["id"], s["state"]) for s in trend] == [(sid, "closed")]
    assert trend[0]["alpha"] == pytest.approx(-0.3) and trend[0]["closed_at"]
    assert calibration_review.list_sessions(db, outsider, pid) == []
    with db.uow(read_only=True) as uow:
        snap = uow.session.scalar(
            select(QualitySnapshot).where(QualitySnapshot.metric == "calibration_alpha")
        )
    assert snap is not None and snap.value == pytest.approx(-0.3) and snap.n == 40


def test_calibration_over_http_respects_roles(db):
    team = build(db, annotators=2, items=22)
    pid = team.project_id
    qa = user(db, "qa1")
    projects.set_member(db, team.admin, pid, username="qa1", roles=["qa"])
    client = TestClient(create_app(db=db))

    def as_(actor):
        return {"Authorization": f"Bearer {accounts.issue_token(db, None, user_id=actor.user_id)}"}

    base = f"/api/v1/projects/{pid}/calibration"
    body = {"items": list(range(1, 21)), "invite": ["ann0"]}
    assert client.post(base, json=body, headers=as_(team.annotators[0])).status_code == 403
    short = client.post(base, json={"items": [1, 2]}, headers=as_(qa))
    assert short.status_code == 422 and short.json()["field"] == "items"
    unfinished = client.post(base, json=body, headers=as_(qa))  # nothing is labelled yet
    assert unfinished.status_code == 422 and unfinished.json()["code"] == "item_not_finished"
    with db.uow() as uow:
        uow.session.execute(update(Item).where(Item.id <= 20).values(state="done"))
        uow.commit()
    made = client.post(base, json=body, headers=as_(qa))
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    ann = as_(team.annotators[0])
    items = client.get(f"{base}/{sid}/items", headers=ann).json()
    assert items["revealed"] is False and items["items"][0]["payload"]["text"]
    ok = client.post(
        f"{base}/{sid}/items/1/answers", json={"value": {"sentiment": "neutral"}}, headers=ann
    )
    assert ok.status_code == 200 and ok.json()["answered"] == 1
    other = as_(team.annotators[1])
    assert client.get(f"{base}/{sid}/items", headers=other).json()["code"] == "not_invited"
    decided = client.post(
        f"{base}/{sid}/decisions",
        json={"item_id": 1, "decision": "Neutral unless a clear opinion.", "rule_number": "1.2"},
        headers=as_(qa),
    )
    assert decided.status_code == 200
    assert client.post(f"{base}/{sid}/decisions/to-draft", headers=as_(qa)).status_code == 403
    drafted = client.post(f"{base}/{sid}/decisions/to-draft", headers=as_(team.lead))
    assert drafted.status_code == 200 and drafted.json()["drafted_rules"] == ["1.2"]
    assert client.post(f"{base}/{sid}/close", headers=as_(qa)).json()["state"] == "closed"
    assert client.get(base, headers=ann).json()[0]["id"] == sid
