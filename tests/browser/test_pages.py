"""Sign-in per role, CSRF and cookies, the dashboard's plotted numbers, settings and users."""

from __future__ import annotations

import json

import pytest

from labelcrew.services.projects import items, projects
from labelcrew.services.quality import measures as quality
from labelcrew.services.work import assignment, submission
from tests.browser.conftest import PHONE, shot
from tests.integration.team import build, user

pytestmark = pytest.mark.browser


@pytest.mark.slow
def test_each_role_signs_in_and_lands_on_its_page(db, open_page):
    team = build(db, annotators=1, items=2)
    pid = team.project_id
    for role in ("reviewer", "qa", "guideline_owner"):
        user(db, role)
        projects.set_member(db, team.admin, pid, username=role, roles=[role])
    landing = {
        "ann0": "/work",
        "reviewer": "/dashboard",
        "qa": "/dashboard",
        "guideline_owner": "/dashboard",
        "lead": "/dashboard",
        "admin": "/dashboard",
    }
    for name, suffix in landing.items():
        page = open_page(name)
        assert page.get_by_test_id("signed-in-as").inner_text() == name
        assert page.get_by_test_id("project-demo").is_visible()
        if name == "lead":
            shot(page, "home")
        landed = page.request.get(f"/projects/{pid}", max_redirects=0)
        assert landed.status == 303
        assert landed.headers["location"] == f"/projects/{pid}{suffix}", name
        page.goto(f"/projects/{pid}/guidelines")
        nav = page.locator("nav.tabs").inner_text()
        assert ("Dashboard" in nav) is (name != "ann0")
        assert ("Work" in nav) is (name == "ann0")
    ann = open_page("ann0")
    response = ann.goto(f"/projects/{pid}/dashboard")
    assert response.status == 403
    assert "may not quality.read" in ann.get_by_test_id("error-message").inner_text()
    ann.get_by_role("button", name="Sign out").click()
    ann.wait_for_url("**/login")
    ann.goto(f"/projects/{pid}/work")
    assert "/login?next=" in ann.url


def test_wrong_password_and_csrf_and_cookie_flags(db, open_page):
    team = build(db, annotators=1, items=2)
    pid = team.project_id
    page = open_page(None)
    page.goto("/login")
    page.fill("input[name=username]", "ann0")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert "wrong username or password" in page.get_by_test_id("login-error").inner_text()
    shot(page, "sign-in")
    page.fill("input[name=password]", "correct-horse-9")
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["labelcrew_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert cookies["labelcrew_csrf"]["httpOnly"]
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    refused = page.request.post(f"/api/v1/projects/{pid}/next")
    assert refused.status == 403 and refused.json()["code"] == "csrf_failed"
    forged = page.request.post(f"/api/v1/projects/{pid}/next", headers={"X-CSRF-Token": "guessed"})
    assert forged.status == 403
    ok = page.request.post(f"/api/v1/projects/{pid}/next", headers={"X-CSRF-Token": token})
    assert ok.status == 200 and ok.json()["item"]["id"]
    form = page.request.post(f"/projects/{pid}/acknowledge", form={"version": "1"})
    assert form.status == 403 and form.json()["code"] == "csrf_failed"


def _history(db, clock):
    """Two annotators label four overlap items and one gold item; agreement measured twice."""
    team = build(db, annotators=2, items=5, overlap=2)
    pid = team.project_id
    items.set_gold(db, team.admin, pid, 1, value={"sentiment": "positive"}, rule="1.1")
    projects.update_project(db, team.admin, pid, {"gold_rate": 1.0})
    answers = {0: ["positive"] * 5, 1: ["negative", "positive", "negative", "neutral", "positive"]}
    for k, annotator in enumerate(team.annotators):
        for label in answers[k]:
            lease = assignment.next_item(db, annotator, pid)
            submission.submit(
                db, annotator, pid, lease["item"]["id"], {"sentiment": label}, idempotency_key=None
            )
            clock.advance(30)
        if k == 0:
            quality.measure_agreement(db, pid, record=True)  # nothing overlaps yet: no point
    quality.measure_agreement(db, pid, record=True)
    clock.advance(3600)
    quality.measure_agreement(db, pid, record=True)
    return team


@pytest.mark.slow
def test_dashboard_plots_the_services_numbers(db, clock, open_page):
    team = _history(db, clock)
    pid = team.project_id
    trend = quality.agreement_trend(db, pid)
    gold = quality.gold_report(db, pid)
    assert len(trend) >= 2 and set(gold["members"]) == {"ann0", "ann1"}
    page = open_page("lead")
    page.goto(f"/projects/{pid}/dashboard")
    page.locator("#chart-agreement .main-svg").first.wait_for()
    page.locator("#chart-gold .main-svg").first.wait_for()
    plotted = page.evaluate(
        """() => ({
            alpha: document.getElementById('chart-agreement').data[0].y,
            members: document.getElementById('chart-gold').data[0].x,
            accuracy: document.getElementById('chart-gold').data[0].y,
        })"""
    )
    assert plotted["alpha"] == pytest.approx([t["alpha"] for t in trend])
    assert plotted["members"] == ["ann0", "ann1"]
    assert plotted["accuracy"] == pytest.approx(
        [gold["members"][m]["overall"]["accuracy"] for m in ("ann0", "ann1")]
    )
    assert plotted["accuracy"] == pytest.approx([1.0, 0.0])  # ann1 missed the gold item
    embedded = json.loads(page.locator("#dashboard-data").text_content())
    assert embedded["agreement_trend"] == trend
    alerts = page.get_by_test_id("alerts").inner_text()
    assert len(embedded["alerts"]) == len(page.locator(".alert-row").all())
    if embedded["alerts"]:
        assert embedded["alerts"][0]["message"] in alerts
    if embedded["metrics"]:
        days = page.evaluate("document.getElementById('chart-throughput').data[0].y")
        assert days == [d["labels"] for d in embedded["metrics"]["throughput"]["per_day"]]
        assert sum(days) == 10
    assert "Krippendorff" not in alerts or "alpha" in alerts
    fields = {f["field"]: f for f in embedded["field_agreement"]}
    assert set(fields) == {"sentiment", "note"}
    row = page.get_by_test_id("field-agreement-sentiment").inner_text()
    assert fields["sentiment"]["measure"] in row and str(fields["sentiment"]["n_items"]) in row
    weekly_card = page.get_by_test_id("weekly").inner_text()
    assert "Weekly snapshot" in weekly_card and "Quality against last week" in weekly_card
    shot(page, "dashboard", full_page=True)
    phone = open_page("lead", viewport=PHONE)
    phone.goto(f"/projects/{pid}/dashboard")
    phone.locator("#chart-agreement .main-svg").first.wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_settings_schema_locked_for_annotators_and_admin_users(db, open_page):
    team = build(db, annotators=1, items=2)
    pid = team.project_id
    ann = open_page("ann0")
    ann.goto(f"/projects/{pid}/settings")
    assert ann.get_by_test_id("schema-fields").locator("tr", has_text="sentiment").count() == 1
    assert ann.locator("textarea[name=definition]").count() == 0
    assert ann.locator("input[name=overlap]").is_disabled()
    assert ann.get_by_test_id("members").count() == 0
    lead = open_page("lead")
    lead.goto(f"/projects/{pid}/settings")
    lead.fill("input[name=overlap]", "2")
    lead.fill("input[name=gold_rate]", "0.1")
    lead.get_by_role("button", name="Save settings").click()
    lead.get_by_test_id("saved").wait_for()
    assert projects.get_project(db, pid)["overlap"] == 2
    assert projects.get_project(db, pid)["gold_rate"] == pytest.approx(0.1)
    user(db, "newbie")
    lead.fill("input[name=username]", "newbie")
    lead.check("input[name=roles][value=reviewer]")
    lead.get_by_role("button", name="Save member").click()
    lead.get_by_test_id("saved").wait_for()
    assert "newbie" in lead.get_by_test_id("members").inner_text()
    assert projects.member_roles(db, pid, user_id=_uid(db, "newbie")) == {"reviewer"}
    shot(lead, "settings", full_page=True)
    admin = open_page("admin")
    admin.goto("/admin/users")
    admin.fill("input[name=username]", "carla")
    admin.fill("input[name=password]", "long-enough-1")
    admin.get_by_role("button", name="Create user").click()
    admin.get_by_test_id("users").locator("tr", has_text="carla").wait_for()
    shot(admin, "users")
    assert ann.goto("/admin/users").status == 403


def _uid(db, name: str) -> int:
    from labelcrew.services.accounts import users as accounts

    return accounts.get_user_by_name(db, name).id


def test_lead_adds_a_webhook_and_sees_its_secret_once(db, open_page):
    from labelcrew.services.platform import webhooks

    team = build(db, annotators=1, items=1)
    pid = team.project_id
    lead = open_page("lead")
    lead.goto(f"/projects/{pid}/settings")
    lead.fill("input[name=url]", "http://127.0.0.1:9/hooks")
    lead.fill("input[name=events]", "item.annotated, review.done")
    lead.get_by_role("button", name="Add webhook").click()
    secret = lead.get_by_test_id("webhook-secret").inner_text()
    row = lead.get_by_test_id("webhooks").locator("tr", has_text="127.0.0.1:9/hooks")
    assert "item.annotated, review.done" in row.inner_text()
    made = webhooks.list_webhooks(db, pid)
    assert [h["events"] for h in made] == [["item.annotated", "review.done"]]
    assert len(secret.split(": ", 1)[1].strip()) >= 16
    lead.goto(f"/projects/{pid}/settings")  # shown once: a reload does not show it again
    assert lead.get_by_test_id("webhook-secret").count() == 0
    ann = open_page("ann0")
    ann.goto(f"/projects/{pid}/settings")
    assert ann.get_by_role("button", name="Add webhook").count() == 0
