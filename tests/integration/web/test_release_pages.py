"""Releases from the browser: publish, verify, diff with the previous one, download every
format the release service writes; who may do which follows the permission table."""

from __future__ import annotations

import re

from labelcrew.services.projects import projects
from labelcrew.services.releases import formats, ml_format
from labelcrew.services.review import leases, reviews
from tests.integration.browse_team import browse_team
from tests.integration.team import user
from tests.integration.web.client import signed_in


def test_lead_publishes_verifies_diffs_and_downloads(db):
    team, it = browse_team(db)
    pid = team.project_id
    lead = signed_in(db, "lead")
    made = lead.post(
        f"/projects/{pid}/releases", data={"name": "v1", "method": "mv"}, follow_redirects=False
    )
    assert made.status_code == 303 and made.headers["location"] == f"/projects/{pid}/releases/v1"
    page = lead.get(f"/projects/{pid}/releases/v1").text
    assert 'data-testid="verify"' in page and 'data-testid="excluded"' in page
    verified = lead.get(f"/projects/{pid}/releases/v1?verify=1").text
    assert "Verified: the stored rows hash to the published hash." in verified
    links = re.findall(r'href="(/api/v1/[^"]+/export\?format=([\w-]+))"', page)
    # every format the schema fits (no COCO without a box field)
    assert [f for _, f in links] == [f for f in formats.FORMATS if f not in ml_format.NEEDS]
    for href, fmt in links:
        got = lead.get(href)
        assert got.status_code == 200, (fmt, got.text)
        assert got.headers["content-type"].startswith(formats.FORMATS[fmt][0])
        assert "attachment" in got.headers["content-disposition"]
    # a reviewer settles item a (its two labels disagree): v2 differs from v1 by it
    task = leases.next_review(db, team.lead, pid)
    assert task["item"]["id"] == it["a"]
    first = task["annotations"][0]["annotation_id"]
    reviews.record_review(
        db,
        team.lead,
        pid,
        it["a"],
        verdict="correct",
        annotation_id=first,
        corrected_value={"sentiment": "neutral"},
        error_tags=["wrong_class"],
        comment="neither: rule 1.1",
    )
    lead.post(f"/projects/{pid}/releases", data={"name": "v2", "method": "mv"})
    second = lead.get(f"/projects/{pid}/releases/v2").text
    assert "Compared with v1" in second
    counts = second.split('data-testid="diff-counts"')[1].split("</p>")[0]
    assert re.search(r"[1-9]\d* (added|changed)", counts), counts
    diff = second.split("Compared with v1")[1].split('data-testid="excluded"')[0]
    assert f'/items/{it["a"]}"' in diff  # the settled item
    listing = lead.get(f"/projects/{pid}/releases").text
    assert listing.index("/releases/v2") < listing.index("/releases/v1")  # newest first


def test_a_bad_release_name_is_named_and_annotators_cannot_publish(db):
    team, _ = browse_team(db)
    pid = team.project_id
    lead = signed_in(db, "lead")
    bad = lead.post(f"/projects/{pid}/releases", data={"name": "v 1"})
    assert bad.status_code == 422 and "release name" in bad.text
    floor = lead.post(f"/projects/{pid}/releases", data={"name": "v1", "min_confidence": "high"})
    assert floor.status_code == 422 and "min_confidence must be a number" in floor.text
    ann = signed_in(db, "ann0")
    assert ann.get(f"/projects/{pid}/releases").status_code == 200  # everyone reads releases
    assert 'data-testid="new-release"' not in ann.get(f"/projects/{pid}/releases").text
    assert ann.post(f"/projects/{pid}/releases", data={"name": "v9"}).status_code == 403
    user(db, "rev")
    projects.set_member(db, team.admin, pid, username="rev", roles=["reviewer"])
    lead.post(f"/projects/{pid}/releases", data={"name": "v1"})
    rev = signed_in(db, "rev").get(f"/projects/{pid}/releases/v1").text
    assert 'data-testid="downloads"' not in rev  # export is the lead's
