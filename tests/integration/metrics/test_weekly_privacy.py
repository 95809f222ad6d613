"""What a member who is not a lead reads about colleagues (issue 17): the weekly report shows
them their own figures, examples and alerts and the team's aggregates, never another
annotator's name, items or labels; the settings page shows annotators no gold rate."""

from __future__ import annotations

import json

from labelcrew.app import create_app
from labelcrew.services.projects import projects
from tests.integration.feedback_team import client
from tests.integration.metrics.test_weekly import two_weeks
from tests.integration.pages_client import sign_in


def _weekly(db, actor, pid, fmt="json"):
    resp = client(db, actor).get(
        f"/api/v1/projects/{pid}/reports/weekly", params={"week": "2026-W49", "format": fmt}
    )
    assert resp.status_code == 200, resp.text
    return resp


def test_an_annotator_reads_no_colleague_in_the_weekly_report(db, clock):
    team = two_weeks(db, clock)
    pid = team.project_id
    ann0 = team.annotators[0]
    lead = _weekly(db, team.lead, pid).json()
    assert {e["member"] for e in lead["examples"]} == {"ann0", "ann1"}
    assert any(a["subject"] == "member:ann1" for a in lead["alerts"])

    mine = _weekly(db, ann0, pid).json()
    assert mine["examples"] and {e["member"] for e in mine["examples"]} == {"ann0"}
    assert not any(a["subject"].startswith("member:") for a in mine["alerts"])
    assert mine["throughput"]["labels"] == lead["throughput"]["labels"]  # the team's total
    assert "ann1" not in json.dumps(mine)
    for fmt in ("md", "html"):
        assert "ann1" not in _weekly(db, ann0, pid, fmt).text


def test_an_annotator_sees_their_own_alert(db, clock):
    team = two_weeks(db, clock)
    mine = _weekly(db, team.annotators[1], team.project_id).json()
    assert [a["subject"] for a in mine["alerts"]] == ["member:ann1"]
    assert {e["member"] for e in mine["examples"]} == {"ann1"}


def test_the_settings_page_shows_gold_rates_to_staff_only(db, clock):
    team = two_weeks(db, clock)
    pid = team.project_id
    projects.update_project(db, team.admin, pid, {"gold_rate": 0.07})
    app = create_app(db=db)
    annotator_page = sign_in(app, "ann0").get(f"/projects/{pid}/settings").text
    assert "gold_rate" not in annotator_page and "0.07" not in annotator_page
    lead_page = sign_in(app, "lead").get(f"/projects/{pid}/settings").text
    assert 'name="gold_rate"' in lead_page and "0.07" in lead_page


def test_the_project_api_shows_gold_rates_to_staff_only(db, clock):
    team = two_weeks(db, clock)
    pid = team.project_id
    projects.update_project(db, team.admin, pid, {"gold_rate": 0.07})
    ann = client(db, team.annotators[0])
    seen = ann.get(f"/api/v1/projects/{pid}").json()
    assert seen["gold_rate"] is None and seen["honeypot_rate"] is None
    [listed] = ann.get("/api/v1/projects").json()
    assert (listed["gold_rate"], listed["probation_gold_rate"]) == (None, None)
    lead = client(db, team.lead)
    assert lead.get(f"/api/v1/projects/{pid}").json()["gold_rate"] == 0.07
    assert lead.get("/api/v1/projects").json()[0]["gold_rate"] == 0.07
