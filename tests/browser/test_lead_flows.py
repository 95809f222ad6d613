"""A lead's pages in Chromium, second part: the dashboard's charts open the items behind a
point; batches and releases from the browser down to a downloaded file; no page breaks the
Content-Security-Policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelcrew.services.projects import batches
from tests.browser.conftest import sign_in
from tests.browser.test_csp import _visit, _watch
from tests.browser.test_pages import _history
from tests.integration.browse_team import browse_team

pytestmark = pytest.mark.browser


def test_a_gold_bar_opens_that_members_gold_items(db, clock, open_page):
    team = _history(db, clock)
    pid = team.project_id
    page = open_page("lead")
    page.goto(f"/projects/{pid}/dashboard")
    bar = page.locator("#chart-gold .bars .point path").first  # ann0's (ann1's has height 0)
    bar.wait_for()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**/items?gold=yes&annotator=ann0")
    assert page.locator("select[name=annotator]").input_value() == "ann0"
    assert page.locator("select[name=gold]").input_value() == "yes"
    page.go_back()
    page.get_by_test_id("disagreement-link").click()
    page.wait_for_url("**/items?disagreement=1")


def test_lead_runs_a_batch_and_ships_a_release_from_the_browser(db, open_page):
    team, it = browse_team(db)
    pid = team.project_id
    page = open_page("lead")
    page.goto(f"/projects/{pid}/batches")
    form = page.get_by_test_id("new-batch")
    form.get_by_label("Name").fill("week 49")
    form.get_by_label("Owner").select_option("lead")
    form.get_by_role("button", name="Create batch").click()
    row = page.locator("tr[data-batch='week 49']")
    row.wait_for()
    assert row.get_by_test_id("owner").inner_text() == "lead"
    row.get_by_role("button", name="in progress").click()
    page.get_by_test_id("saved").wait_for()
    assert (
        page.locator("tr[data-batch='week 49']").get_by_test_id("state").inner_text()
        == "in progress"
    )
    assert batches.list_batches(db, pid)[-1]["state"] == "in_progress"
    page.locator("nav.tabs").get_by_role("link", name="Releases").click()
    release = page.get_by_test_id("new-release")
    release.get_by_label("Name").fill("v1")
    release.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/releases/v1")
    page.get_by_test_id("verify").click()
    assert "Verified" in page.get_by_test_id("verified").inner_text()
    with page.expect_download() as downloaded:
        page.get_by_test_id("downloads").locator("[data-format=jsonl]").click()
    text = Path(downloaded.value.path()).read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert rows and {r["item_id"] for r in rows} <= {it["a"], it["b"], it["c"], *it["batch"]}


def test_no_csp_violation_on_the_lead_pages(db, open_page):
    team, it = browse_team(db)
    pid = team.project_id
    batches.create_batch(db, team.lead, pid, name="b2")
    lead = open_page(None)
    logged = _watch(lead)
    sign_in(lead, "lead")
    for path, ready in (
        (f"/projects/{pid}/items", "[data-testid=item-filters]"),
        (f"/projects/{pid}/items/{it['a']}", "[data-testid=gold-form] .opt"),
        (f"/projects/{pid}/import", "[data-testid=drop-zone]"),
        (f"/projects/{pid}/batches", "[data-testid=batches]"),
        (f"/projects/{pid}/releases", "[data-testid=new-release]"),
        (f"/projects/{pid}/team", "[data-testid=forecast]"),
    ):
        _visit(lead, path, ready, logged)
    admin = open_page(None)
    logged = _watch(admin)
    sign_in(admin, "admin")
    _visit(admin, "/projects/new", "[data-testid=preview] fieldset", logged)
    _visit(admin, f"/admin/users/{team.lead.user_id}", "[data-testid=edit-user]", logged)
