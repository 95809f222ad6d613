"""The whole feedback loop, end to end through the services: two annotators disagree -> the
item goes to review -> an annotator asks (level 1) -> the reviewer escalates (level 2) -> the
guideline owner rules -> the ruling becomes a rule of a new guideline version -> the touched
item is relabelled under it, behind the acknowledgement gate, with the old labels kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from labelcrew.db.models.core import Annotation, AuditEvent
from labelcrew.errors import Forbidden
from labelcrew.services.escalations import tickets as escalations
from labelcrew.services.escalations import transitions as escalation_transitions
from labelcrew.services.guidelines import relabel
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.projects import projects
from labelcrew.services.review import leases as review_leases
from labelcrew.services.review import reviews as review
from labelcrew.services.work import assignment, submission
from tests.integration.team import build, user


def test_disagreement_to_ruling_to_revision_to_relabel(db):
    team = build(db, annotators=2, items=1, overlap=2)
    pid, (ann_a, ann_b) = team.project_id, team.annotators
    reviewer = user(db, "rev")
    projects.set_member(db, team.admin, pid, username="rev", roles=["reviewer"])

    # two annotators disagree on the item
    item_id = assignment.next_item(db, ann_a, pid)["item"]["id"]
    submission.submit(db, ann_a, pid, item_id, {"sentiment": "positive"}, idempotency_key="a")
    assert assignment.next_item(db, ann_b, pid)["item"]["id"] == item_id
    submission.submit(db, ann_b, pid, item_id, {"sentiment": "negative"}, idempotency_key="b")

    # the disagreement puts the item in the review queue; the reviewer takes it and rejects one
    lease = review_leases.next_review(db, reviewer, pid)
    assert lease["item"]["id"] == item_id
    assert "disagreement" in {r["kind"] for r in lease["task"]["reasons"]}
    with db.uow(read_only=True) as uow:
        a_label = uow.session.scalar(
            select(Annotation.id).where(
                Annotation.item_id == item_id, Annotation.annotator_id == ann_a.user_id
            )
        )
    done = review.record_review(
        db,
        reviewer,
        pid,
        item_id,
        verdict="reject",
        annotation_id=a_label,
        error_tags=["wrong_class"],
        rule_refs=["1.1"],
        comment="per rule 1.1 the whole review counts",
    )
    assert done["warnings"] == []

    # level 1: the annotator asks; level 2: the reviewer escalates; the owner rules
    ticket = escalations.open_escalation(
        db,
        ann_a,
        pid,
        item_id,
        rule_number="1.1",
        question="Is faint praise with a complaint negative?",
    )
    escalation_transitions.escalate(
        db, reviewer, pid, ticket["id"], note="The guideline is silent."
    )
    with pytest.raises(Forbidden):
        escalation_transitions.resolve(db, reviewer, pid, ticket["id"], ruling="negative")
    ruled = escalation_transitions.resolve(
        db,
        team.lead,
        pid,
        ticket["id"],
        rule_number="1.3",
        ruling="Faint praise followed by a complaint is negative.",
    )
    assert ruled["state"] == "resolved"

    # the ruling becomes rule 1.3 of version 2; publishing queues the ruled item for relabel
    guidelines.save_draft(
        db,
        team.lead,
        pid,
        title="v2",
        body="",
        rules=[
            {"number": "1.1", "text": "Label the overall sentiment."},
            {"number": "1.3", "text": "Faint praise followed by a complaint is negative."},
        ],
    )
    published = relabel.publish_revision(
        db,
        team.lead,
        pid,
        2,
        "Rule 1.3 from escalation ruling",
        links={"escalations": [ticket["id"]]},
        relabel={"from_rulings": True},
    )
    assert item_id in published["relabel"]["item_ids"]

    # the acknowledgement gate, then the relabel under version 2
    with pytest.raises(Forbidden) as gate:
        assignment.next_item(db, ann_b, pid)
    assert gate.value.code == "guideline_ack_required"
    guidelines.acknowledge(db, ann_b, pid, version=2)
    again = assignment.next_item(db, ann_b, pid)
    assert again["item"]["id"] == item_id and again["queue"] == "relabel"
    out = submission.submit(
        db, ann_b, pid, item_id, {"sentiment": "negative"}, idempotency_key="b2"
    )
    assert out["guideline_version"] == 2

    with db.uow(read_only=True) as uow:
        rows = uow.session.execute(
            select(
                Annotation.annotator_id,
                Annotation.guideline_version,
                Annotation.queue,
                Annotation.superseded_at,
            )
            .where(Annotation.item_id == item_id)
            .order_by(Annotation.id)
        ).all()
        actions = set(uow.session.scalars(select(AuditEvent.action)))
    assert [(r.guideline_version, r.queue, r.superseded_at is not None) for r in rows] == [
        (1, "annotation", True),
        (1, "annotation", True),
        (2, "relabel", False),
    ]
    assert {"annotation.submit", "guideline.publish", "escalation.resolved"} <= actions
