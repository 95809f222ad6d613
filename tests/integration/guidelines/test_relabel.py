"""Guideline revision -> relabel: one transaction publishes, links and requeues; old labels stay
superseded; relabels record the new version and the 'relabel' queue behind the ack gate."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from labelcrew.app import create_app
from labelcrew.db.models.core import Annotation, Assignment, Item, OutboxEvent, Project
from labelcrew.db.models.guidelines import GuidelineLink, RelabelItem
from labelcrew.errors import Forbidden, ValidationFailed
from labelcrew.services.accounts import users as accounts
from labelcrew.services.guidelines import relabel as relabel_service
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.projects import projects
from labelcrew.services.work import assignment, submission
from tests.integration.team import build, user

RULES = [
    {"number": "1.1", "text": "Label the overall sentiment."},
    {"number": "1.2", "text": "Sarcasm counts as negative."},
]


def _label_all(db, team, answers):
    """answers[annotator index][item position] -> sentiment; every annotator labels every item."""
    for a, values in zip(team.annotators, answers, strict=True):
        for _ in values:
            lease = assignment.next_item(db, a, team.project_id)
            position = lease["item"]["id"] - 1
            submission.submit(
                db,
                a,
                team.project_id,
                lease["item"]["id"],
                {"sentiment": values[position]},
                idempotency_key=None,
            )


def _draft_v2(db, team):
    guidelines.save_draft(db, team.lead, team.project_id, title="v2", body="", rules=RULES)


def test_revision_supersedes_touched_labels_and_relabels_under_new_version(db):
    team = build(db, annotators=2, items=4, overlap=2)
    pid = team.project_id
    _label_all(db, team, [["positive"] * 4, ["negative", "positive", "positive", "positive"]])
    _draft_v2(db, team)
    out = relabel_service.publish_revision(
        db,
        team.lead,
        pid,
        2,
        "1.2: sarcasm is negative (ticket 5)",
        links={"items": [1]},
        relabel={"labels": ["negative"], "items": [2]},
    )
    assert out["version"] == 2 and out["status"] == "published"
    assert out["relabel"]["item_ids"] == [1, 2]
    assert out["relabel"]["superseded"] == 4
    with db.uow(read_only=True) as uow:
        rows = uow.session.execute(
            select(Annotation.item_id, Annotation.superseded_at.is_not(None))
        ).all()
        assert len(rows) == 8  # nothing deleted
        assert sorted(i for i, sup in rows if sup) == [1, 1, 2, 2]
        items = {i.id: i for i in uow.session.scalars(select(Item))}
        assert (items[1].annotation_count, items[1].state) == (0, "open")
        assert (items[3].annotation_count, items[3].state) == (2, "done")
        released = uow.session.execute(
            select(Assignment.item_id, Assignment.state, Assignment.queue).where(
                Assignment.item_id.in_([1, 2])
            )
        ).all()
        assert {(s, q) for _, s, q in released} == {("released", "relabel")}
        kinds = {(link.kind, link.ref_id) for link in uow.session.scalars(select(GuidelineLink))}
        assert ("item", 1) in kinds
    shown = relabel_service.revision_links(db, pid, 2)
    assert shown["links"]["items"] == [1] and shown["relabels"][0]["items"] == 2

    ann = team.annotators[0]
    with pytest.raises(Forbidden) as gate:
        assignment.next_item(db, ann, pid)
    assert gate.value.code == "guideline_ack_required"
    guidelines.acknowledge(db, ann, pid, version=2)
    lease = assignment.next_item(db, ann, pid)
    assert lease["item"]["id"] in (1, 2) and lease["queue"] == "relabel"
    again = submission.submit(
        db, ann, pid, lease["item"]["id"], {"sentiment": "negative"}, idempotency_key="r1"
    )
    assert again["guideline_version"] == 2
    with db.uow(read_only=True) as uow:
        latest = uow.session.get(Annotation, again["annotation_id"])
        assert latest is not None and latest.queue == "relabel" and latest.superseded_at is None
        assert uow.session.get(Item, lease["item"]["id"]).annotation_count == 1


def test_a_refused_revision_publishes_nothing_and_writes_no_event(db):
    team = build(db, annotators=1, items=2)
    _draft_v2(db, team)
    with pytest.raises(ValidationFailed) as bad:
        relabel_service.publish_revision(
            db, team.lead, team.project_id, 2, "typo", relabel={"labels": ["furious"]}
        )
    assert bad.value.field == "relabel.labels"
    with pytest.raises(ValidationFailed) as bad_item:
        relabel_service.publish_revision(
            db, team.lead, team.project_id, 2, "x", relabel={"items": [999]}
        )
    assert bad_item.value.code == "unknown_item"
    with db.uow(read_only=True) as uow:
        assert uow.session.get(Project, team.project_id).guideline_version == 1
        published = uow.session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.event_type == "guideline.published")
        )
        assert published == 1  # version 1 only


def test_only_guideline_owners_and_admins_publish_revisions_over_http(db):
    team = build(db, annotators=1, items=3)
    pid = team.project_id
    _draft_v2(db, team)
    reviewer = user(db, "rev")
    projects.set_member(db, team.admin, pid, username="rev", roles=["reviewer", "lead"])
    client = TestClient(create_app(db=db))
    body = {"changelog": "sarcasm", "relabel": {"items": [3]}, "links": {"items": [3]}}
    url = f"/api/v1/projects/{pid}/guidelines/2/revision"

    def as_(actor):
        return {"Authorization": f"Bearer {accounts.issue_token(db, None, user_id=actor.user_id)}"}

    assert client.post(url, json=body, headers=as_(reviewer)).status_code == 403
    ok = client.post(url, json=body, headers=as_(team.lead))
    assert ok.status_code == 200, ok.text
    assert ok.json()["relabel"]["item_ids"] == [3]
    links = client.get(f"/api/v1/projects/{pid}/guidelines/2/links", headers=as_(reviewer))
    assert links.json()["links"]["items"] == [3]
    bad = client.post(
        url.replace("/2/", "/3/"),
        json={"changelog": "x", "relabel": {"oops": 1}},
        headers=as_(team.lead),
    )
    assert bad.status_code == 422 and bad.json()["field"] == "relabel.oops"


def test_rulings_and_rule_references_choose_the_items(db):
    escalations = pytest.importorskip("labelcrew.services.escalations.tickets")
    team = build(db, annotators=2, items=4, overlap=2)
    pid = team.project_id
    _label_all(db, team, [["positive"] * 4, ["positive"] * 4])
    asked = escalations.open_escalation(
        db, team.annotators[0], pid, 3, question="Is sarcasm negative?", rule_number="1.1"
    )
    _draft_v2(db, team)
    with pytest.raises(ValidationFailed) as unknown:
        relabel_service.publish_revision(
            db, team.lead, pid, 2, "x", links={"escalations": [asked["id"] + 100]}
        )
    assert unknown.value.code == "unknown_escalation"
    out = relabel_service.publish_revision(
        db,
        team.lead,
        pid,
        2,
        "1.2: sarcasm is negative",
        links={"escalations": [asked["id"]]},
        relabel={"from_rulings": True, "rules": ["1.1"]},
    )
    assert out["relabel"]["item_ids"] == [3] and out["warnings"] == []
    assert relabel_service.revision_links(db, pid, 2)["links"]["escalations"] == [asked["id"]]
    with db.uow(read_only=True) as uow:
        why = uow.session.scalar(select(RelabelItem.reasons).where(RelabelItem.item_id == 3))
    assert why == sorted([f"ruling:{asked['id']}", "rules:1.1"])
