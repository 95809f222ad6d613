"""The escalation figures of the dashboard and the metrics API agree with the inbox (issue 17):
a ticket settled by a ruling is resolved, not open for ever; an answered ticket is answered,
not resolved; what waits is what the inbox's "waiting" filter lists."""

from __future__ import annotations

from labelcrew.app import create_app
from labelcrew.services.escalations import tickets as escalations
from labelcrew.services.escalations import transitions
from labelcrew.services.metrics import dashboard as metrics
from tests.integration.feedback_team import client, feedback_team, label
from tests.integration.pages_client import sign_in


def _three_tickets(db, clock):
    """One answered at level 1, one escalated and ruled, one still open."""
    team = feedback_team(db)
    pid, a0 = team.project_id, team.annotators[0]
    by_id = {a.user_id: a for a in team.others.values()}
    item = label(db, a0, pid, "positive")
    answered = escalations.open_escalation(db, a0, pid, item, question="emojis?")
    ruled = escalations.open_escalation(db, a0, pid, item, question="irony?")
    escalations.open_escalation(db, a0, pid, item, question="still open")
    clock.advance(2 * 3600)
    handler = by_id[answered["assignee_id"]]  # tickets spread over the reviewers
    transitions.answer(db, handler, pid, answered["id"], answer="per rule 1.1, ignore them")
    handler = by_id[ruled["assignee_id"]]
    transitions.escalate(db, handler, pid, ruled["id"], note="the guideline is silent")
    clock.advance(4 * 3600)
    transitions.resolve(db, team.lead, pid, ruled["id"], ruling="irony is sarcasm")
    return team


def test_counts_follow_ticket_states_like_the_inbox(db, clock):
    team = _three_tickets(db, clock)
    pid = team.project_id
    levels = metrics.project_metrics(db, pid)["escalations"]["levels"]
    assert levels == {
        "1": {
            "open": 1,
            "overdue": 0,
            "answered": 1,
            "resolved": 0,
            "median_hours_to_answer": 2.0,
            "median_hours_to_resolve": None,
        },
        "2": {
            "open": 0,
            "overdue": 0,
            "answered": 0,
            "resolved": 1,
            "median_hours_to_answer": None,
            "median_hours_to_resolve": 6.0,
        },
    }
    inbox = escalations.list_escalations(db, team.lead, pid)
    waiting = [t for t in inbox if t["state"] in escalations.WAITING]
    assert sum(level["open"] for level in levels.values()) == len(waiting) == 1
    # the metrics API answers the same figures (its response model carries every key)
    body = client(db, team.lead).get(f"/api/v1/projects/{pid}/metrics").json()
    assert body["escalations"]["levels"] == levels


def test_overdue_counts_waiting_tickets_past_their_sla_only(db, clock):
    team = _three_tickets(db, clock)
    clock.advance(30 * 24 * 3600)  # every SLA long past
    levels = metrics.project_metrics(db, team.project_id)["escalations"]["levels"]
    assert (levels["1"]["overdue"], levels["2"]["overdue"]) == (1, 0)
    overdue = escalations.list_escalations(db, team.lead, team.project_id, overdue=True)
    assert len(overdue) == 1


def test_dashboard_shows_the_inbox_states(db, clock):
    team = _three_tickets(db, clock)
    page = sign_in(create_app(db=db), "lead").get(f"/projects/{team.project_id}/dashboard").text
    row = page[page.index('data-testid="escalations-l2"') :].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in row.split("</a>")[:3]]
    assert cells == ["0", "0", "1"]  # waiting, answered, resolved at level 2


def test_an_empty_inbox_says_so_outside_the_numbered_list(db, clock):
    team = _three_tickets(db, clock)
    client = sign_in(create_app(db=db), "lead")
    page = client.get(f"/projects/{team.project_id}/escalations?state=open").text
    empty = client.get(f"/projects/{team.project_id}/escalations?state=escalated").text
    assert 'data-testid="no-tickets"' not in page  # one ticket is open
    tickets = empty[empty.index('data-testid="tickets"') : empty.index("</ol>")]
    assert "No tickets here" not in tickets and "<li" not in tickets
    assert '<p class="muted" data-testid="no-tickets">No tickets here.</p>' in empty
