"""Batches from the browser: create with an owner, move through the done states the service
allows, change owner and hand-off note; reviewers move batches but do not create them."""

from __future__ import annotations

import re

from labelcrew.services.projects import batches, projects
from tests.integration.team import build, user
from tests.integration.web.client import signed_in


def _form(client, path, **data):
    return client.post(path, data=data, follow_redirects=False)


def test_lead_creates_a_batch_and_moves_it_to_done(db):
    team = build(db, annotators=1, items=0)
    pid = team.project_id
    user(db, "rev")
    projects.set_member(db, team.admin, pid, username="rev", roles=["reviewer"])
    lead = signed_in(db, "lead")
    made = _form(lead, f"/projects/{pid}/batches", name="week 49", owner="rev")
    assert made.status_code == 303
    [batch] = batches.list_batches(db, pid)
    assert (batch["name"], batch["owner"], batch["state"]) == ("week 49", "rev", "open")
    html = lead.get(f"/projects/{pid}/batches").text
    row = html.split('data-batch="week 49"')[1].split("</tr>")[0]
    assert re.findall(r'name="state" value="(\w+)"', row) == ["in_progress"]
    path = f"/projects/{pid}/batches/{batch['id']}"
    for state in ("in_progress", "in_review", "done"):
        assert _form(lead, path, state=state).status_code == 303
    assert batches.list_batches(db, pid)[0]["state"] == "done"
    wrong = _form(lead, path, state="open")
    assert wrong.status_code == 409 and "cannot go from done to open" in wrong.text
    _form(lead, path, owner="lead", handoff_note="rev is away; lead finishes")
    [batch] = batches.list_batches(db, pid)
    assert (batch["owner"], batch["handoff_note"]) == ("lead", "rev is away; lead finishes")


def test_reviewers_move_batches_annotators_see_no_batch_page(db):
    team = build(db, annotators=1, items=0)
    pid = team.project_id
    user(db, "rev")
    projects.set_member(db, team.admin, pid, username="rev", roles=["reviewer"])
    batch = batches.create_batch(db, team.lead, pid, name="b1")
    rev = signed_in(db, "rev")
    assert rev.get(f"/projects/{pid}/batches").status_code == 200
    assert 'data-testid="new-batch"' not in rev.get(f"/projects/{pid}/batches").text
    assert _form(rev, f"/projects/{pid}/batches", name="b2").status_code == 403
    moved = _form(rev, f"/projects/{pid}/batches/{batch['id']}", state="in_progress")
    assert moved.status_code == 303
    ann = signed_in(db, "ann0")
    assert ann.get(f"/projects/{pid}/batches").status_code == 403
