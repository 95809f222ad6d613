"""Escalations: level 1 to a reviewer, level 2 to the guideline owner, SLA alerts, WIP."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from labelcrew.db.models.core import AuditEvent
from labelcrew.errors import Conflict, Forbidden, NotFound, ValidationFailed
from labelcrew.services.escalations import tickets as escalations
from labelcrew.services.escalations import transitions as escalation_transitions
from labelcrew.services.projects import batches, projects
from labelcrew.services.quality import alerts
from labelcrew.services.review import feedback_settings as feedback_common
from tests.integration.feedback_team import client, events, feedback_team, label
from tests.integration.team import user


def test_level_one_answer_and_level_two_ruling(db, clock):
    team = feedback_team(db)
    pid, rev = team.project_id, team.others["rev"]
    a0 = team.annotators[0]
    item = label(db, a0, pid, "positive")
    ticket = escalations.open_escalation(
        db, a0, pid, item, question="is irony sarcasm under rule 4.2?", rule_number="4.2"
    )
    assert (ticket["state"], ticket["level"], ticket["assignee_id"]) == ("open", 1, rev.user_id)
    assert ticket["due_at"] == "2026-11-24T09:00:00+00:00"
    assert events(db, "escalation.opened")[0]["escalation_id"] == ticket["id"]
    with pytest.raises(ValidationFailed):
        escalations.open_escalation(db, a0, pid, item, question="?", rule_number="9.9")
    with pytest.raises(NotFound):
        escalations.open_escalation(db, a0, pid, 4, question="never held it")

    clock.advance(3600)
    raised = escalation_transitions.escalate(
        db, rev, pid, ticket["id"], note="the guideline is silent"
    )
    assert (raised["state"], raised["level"]) == ("escalated", 2)
    assert raised["escalated_at"] == "2026-11-23T10:00:00+00:00"
    assert raised["due_at"] == "2026-11-25T10:00:00+00:00"
    with pytest.raises(Forbidden):
        escalation_transitions.resolve(db, rev, pid, ticket["id"], ruling="irony is sarcasm")
    with pytest.raises(Conflict):
        escalation_transitions.answer(db, rev, pid, ticket["id"], answer="too late")
    ruled = escalation_transitions.resolve(
        db, team.lead, pid, ticket["id"], ruling="irony counts as sarcasm", rule_number="4.3"
    )
    assert (ruled["state"], ruled["ruling_rule"], ruled["resolved_by"]) == (
        "resolved", "4.3", team.lead.user_id
    )  # fmt: skip

    second = escalations.open_escalation(db, a0, pid, item, question="and emojis?")
    answered = escalation_transitions.answer(
        db, rev, pid, second["id"], answer="per rule 1.1, ignore them"
    )
    assert answered["state"] == "answered" and answered["answered_at"] is not None
    with db.uow(read_only=True) as uow:
        actions = set(uow.session.scalars(select(AuditEvent.action)))
    assert {"escalation.open", "escalation.escalated", "escalation.resolved",
            "escalation.answered"} <= actions  # fmt: skip


def test_sla_overdue_raises_one_alert_per_level(db, clock):
    team = feedback_team(db)
    pid, rev = team.project_id, team.others["rev"]
    a0 = team.annotators[0]
    item = label(db, a0, pid, "positive")
    feedback_common.update_settings(db, team.lead, pid, escalation_sla_hours={"1": 2, "2": 4})
    ticket = escalations.open_escalation(db, a0, pid, item, question="which class?")
    assert escalations.check_overdue(db, pid)["overdue"] == []
    clock.advance(2 * 3600 + 1)
    first = escalations.check_overdue(db, pid)
    assert first["alerted"] == [ticket["id"]]
    again = escalations.check_overdue(db, pid)
    assert again["alerted"] == [] and len(again["overdue"]) == 1
    assert len(events(db, "escalation.overdue")) == 1
    open_alerts = alerts.list_alerts(db, pid, kind="escalation_overdue")
    assert len(open_alerts) == 1 and open_alerts[0]["evidence"]["level"] == 1
    listed = escalations.list_escalations(db, team.lead, pid, overdue=True)
    assert [t["id"] for t in listed] == [ticket["id"]] and listed[0]["overdue"] is True

    escalation_transitions.escalate(db, rev, pid, ticket["id"], note="need a ruling")
    assert escalations.list_escalations(db, team.lead, pid, overdue=True) == []
    clock.advance(4 * 3600 + 1)
    assert escalations.check_overdue(db, pid)["alerted"] == [ticket["id"]]
    assert [e["level"] for e in events(db, "escalation.overdue")] == [1, 2]


def test_open_ticket_wip_per_reviewer(db):
    team = feedback_team(db, items=6)
    pid, rev, rev2 = team.project_id, team.others["rev"], team.others["rev2"]
    a0 = team.annotators[0]
    feedback_common.update_settings(db, team.lead, pid, max_open_tickets_per_reviewer=1)
    items = [label(db, a0, pid, "positive") for _ in range(3)]
    t1 = escalations.open_escalation(db, a0, pid, items[0], question="q1")
    t2 = escalations.open_escalation(db, a0, pid, items[1], question="q2")
    t3 = escalations.open_escalation(db, a0, pid, items[2], question="q3")
    assert {t1["assignee_id"], t2["assignee_id"]} == {rev.user_id, rev2.user_id}
    assert t3["assignee_id"] is None  # every reviewer is at the limit: it waits unassigned
    with pytest.raises(Conflict) as full:
        escalation_transitions.claim(db, rev, pid, t3["id"])
    assert full.value.code == "ticket_wip_reached"
    mine = t1 if t1["assignee_id"] == rev.user_id else t2
    theirs = t2 if mine is t1 else t1
    with pytest.raises(Forbidden):
        escalation_transitions.answer(db, rev, pid, theirs["id"], answer="not mine")
    escalation_transitions.answer(db, rev, pid, mine["id"], answer="per rule 1.1")
    assert escalation_transitions.claim(db, rev, pid, t3["id"])["assignee_id"] == rev.user_id


def test_batch_owner_gets_the_ticket_and_annotators_see_their_own(db):
    team = feedback_team(db, items=0)
    pid, rev2 = team.project_id, team.others["rev2"]
    a0, a1 = team.annotators
    batch = batches.create_batch(db, team.admin, pid, name="b1", owner="rev2")
    from tests.integration.team import add_items

    add_items(db, pid, 2, overlap=2, batch_id=batch["id"])
    item = label(db, a0, pid, "positive")
    assert label(db, a1, pid, "negative") == item
    mine = escalations.open_escalation(db, a0, pid, item, question="q from a0")
    escalations.open_escalation(db, a1, pid, item, question="q from a1")
    assert mine["assignee_id"] == rev2.user_id
    assert [t["question"] for t in escalations.list_escalations(db, a0, pid)] == ["q from a0"]
    assert len(escalations.list_escalations(db, team.lead, pid, state="open")) == 2
    with pytest.raises(ValidationFailed):
        escalations.list_escalations(db, team.lead, pid, state="closed")


def test_escalations_over_http(db, clock):
    team = feedback_team(db)
    pid = team.project_id
    a0 = team.annotators[0]
    item = label(db, a0, pid, "positive")
    base = f"/api/v1/projects/{pid}"
    ann, rev, lead = client(db, a0), client(db, team.others["rev"]), client(db, team.lead)
    owner_only = user(db, "owner")
    projects.set_member(db, team.admin, pid, username="owner", roles=["guideline_owner"])
    owner = client(db, owner_only)
    opened = ann.post(f"{base}/items/{item}/escalations", json={"question": "which rule?"})
    assert opened.status_code == 201
    tid = opened.json()["id"]
    assert rev.post(f"{base}/items/{item}/escalations", json={"question": "x"}).status_code == 403
    assert ann.post(f"{base}/escalations/{tid}/answer", json={"answer": "x"}).status_code == 403
    assert (
        rev.post(f"{base}/escalations/{tid}/escalate", json={"note": "ruling"}).status_code == 200
    )
    assert rev.post(f"{base}/escalations/{tid}/resolve", json={"ruling": "x"}).status_code == 403
    done = owner.post(f"{base}/escalations/{tid}/resolve", json={"ruling": "use rule 4.2"})
    assert done.status_code == 200 and done.json()["state"] == "resolved"
    assert ann.get(f"{base}/escalations?state=resolved").json()[0]["ruling"] == "use rule 4.2"
    second = ann.post(f"{base}/items/{item}/escalations", json={"question": "again"}).json()
    clock.advance(25 * 3600)
    assert ann.post(f"{base}/escalations/check-overdue").status_code == 403
    assert lead.post(f"{base}/escalations/check-overdue").json()["alerted"] == [second["id"]]
    assert [t["id"] for t in lead.get(f"{base}/escalations?overdue=true").json()] == [second["id"]]
