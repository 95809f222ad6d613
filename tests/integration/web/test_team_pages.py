"""The team page: the forecast, member load and profiles, priorities and cost the teamops
services compute; its forms set profiles, the deadline and priorities under the table's actions."""

from __future__ import annotations

import re

from labelcrew.services.projects import batches, projects
from labelcrew.services.teamops import capacity, cost, forecast, priorities
from tests.integration.browse_team import browse_team
from tests.integration.team import user
from tests.integration.web.client import signed_in


def test_the_page_shows_what_the_services_compute(db):
    team, _ = browse_team(db)
    pid = team.project_id
    capacity.set_profile(db, team.admin, pid, team.annotators[0].user_id, {"hourly_rate": 20.0})
    lead = signed_in(db, "lead")
    html = lead.get(f"/projects/{pid}/team").text
    plan = forecast.plan(db, pid)
    rate = re.search(r'data-testid="team-rate">([\d.]+)<', html)
    assert rate and rate[1] == f"{plan['team_labels_per_day']:.0f}"
    assert f"<strong>{plan['project']['remaining_labels']}</strong>" in html
    members = html.split('data-testid="members-load"')[1].split("</table>")[0]
    assert 'data-member="ann0"' in members and "items?annotator=ann0" in members
    report = cost.cost_report(db, pid)
    assert f"Total {report['total_cost']:.2f}" in html


def test_lead_sets_a_profile_a_deadline_and_priorities(db):
    team, it = browse_team(db)
    pid = team.project_id
    ann = team.annotators[0]
    lead = signed_in(db, "lead")
    saved = lead.post(
        f"/projects/{pid}/team/profiles/{ann.user_id}",
        data={
            "weekly_hours": "20",
            "timezone": "Europe/Berlin",
            "shift_start": "8",
            "hourly_rate": "",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    [profile] = [p for p in capacity.list_profiles(db, pid) if p["user_id"] == ann.user_id]
    assert (profile["weekly_hours"], profile["timezone"], profile["shift_start"]) == (
        20.0,
        "Europe/Berlin",
        8,
    )
    bad = lead.post(f"/projects/{pid}/team/profiles/{ann.user_id}", data={"weekly_hours": "lots"})
    assert bad.status_code == 422 and "weekly_hours must be a number" in bad.text
    zone = lead.post(f"/projects/{pid}/team/profiles/{ann.user_id}", data={"timezone": "Mars/Base"})
    assert zone.status_code == 422
    assert (
        lead.post(
            f"/projects/{pid}/team/deadline", data={"deadline": "2026-12-24T17:00"}
        ).status_code
        == 200
    )
    assert forecast.plan(db, pid)["project"]["deadline"].startswith("2026-12-24T17:00")
    second = batches.create_batch(db, team.lead, pid, name="b2")
    form = {
        "batch_id": [str(it["batch_id"]), str(second["id"])],
        "priority": ["5", "9"],
        "reason": "b2 ships first",
    }
    assert lead.post(f"/projects/{pid}/team/priorities", data=form).status_code == 200
    now = priorities.current(db, pid)["current"]
    assert [e["batch"] for e in now["entries"]] == ["b2", "b1"]  # most important first
    assert now["reason"] == "b2 ships first"
    assert "b2 ships first" in lead.get(f"/projects/{pid}/team").text


def test_staff_read_the_plan_only_leads_see_cost_and_change_things(db):
    team, _ = browse_team(db)
    pid = team.project_id
    user(db, "rev")
    projects.set_member(db, team.admin, pid, username="rev", roles=["reviewer"])
    rev = signed_in(db, "rev")
    html = rev.get(f"/projects/{pid}/team").text
    assert 'data-testid="forecast"' in html and 'data-testid="cost-total"' not in html
    assert 'data-testid="priorities-form"' not in html
    denied = rev.post(f"/projects/{pid}/team/deadline", data={"deadline": ""})
    assert denied.status_code == 403
    assert signed_in(db, "ann0").get(f"/projects/{pid}/team").status_code == 403
