"""Bugs seen in the demo (issue 17), each driven in Chromium with the keyboard: reloading the
review page, ratings in steps, self-check rules shown before submit, feedback as text, empty
lists."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from labelcrew.db.models.core import Annotation
from labelcrew.db.models.feedback import Review
from labelcrew.services.accounts.users import Actor
from labelcrew.services.projects import projects
from labelcrew.services.review import leases as review_leases
from labelcrew.services.review import reviews as review
from labelcrew.services.teamops import settings as teamops_settings
from labelcrew.services.work import assignment
from tests.browser.test_review import _disagreement
from tests.integration.team import build

pytestmark = pytest.mark.browser


def _verdicts(db) -> list[str]:
    with db.uow(read_only=True) as uow:
        return list(uow.session.scalars(select(Review.verdict).order_by(Review.id)))


def _reviewer(db, pid: int) -> Actor:
    rev = next(m for m in projects.list_members(db, pid) if m["username"] == "rev")
    return Actor(rev["user_id"], "rev", False)


def test_reloading_the_review_page_keeps_reviewed_labels_done(db, open_page):
    team, _ = _disagreement(db)
    pid = team.project_id
    page = open_page("rev")
    page.goto(f"/projects/{pid}/review")
    first, second = page.get_by_test_id("annotation-ann0"), page.get_by_test_id("annotation-ann1")
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    first.get_by_test_id("result").filter(has_text="Recorded: accept").wait_for()
    page.reload()
    # the reviewed label comes back shut, the keys act on the open one
    assert "done" in (first.get_attribute("class") or "")
    assert "Recorded: accept" in first.get_by_test_id("result").inner_text()
    assert "active" in (second.get_attribute("class") or "")
    assert not page.get_by_test_id("item-done").is_visible()
    page.keyboard.press("r")
    page.keyboard.press("Shift+Digit1")
    page.keyboard.press("Enter")
    page.get_by_test_id("item-done").wait_for()
    assert _verdicts(db) == ["accept", "reject"]
    with page.expect_navigation():
        page.keyboard.press("n")
    assert "no item needs your review" in page.get_by_test_id("review-empty").inner_text()


def test_a_label_reviewed_elsewhere_shuts_instead_of_looping_on_409(db, open_page):
    team, item_id = _disagreement(db)
    pid = team.project_id
    page = open_page("rev")
    page.goto(f"/projects/{pid}/review")
    # another tab of the same reviewer reviews ann0's label meanwhile
    lease = review_leases.next_review(db, _reviewer(db, pid), pid)
    ann0 = next(a for a in lease["annotations"] if a["annotator"] == "ann0")
    review.record_review(
        db, _reviewer(db, pid), pid, item_id, verdict="accept", annotation_id=ann0["annotation_id"]
    )
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    first = page.get_by_test_id("annotation-ann0")
    first.get_by_test_id("result").filter(has_text="Already reviewed").wait_for()
    assert "done" in (first.get_attribute("class") or "")
    page.keyboard.press("a")  # now on ann1's label
    page.keyboard.press("Enter")
    page.get_by_test_id("item-done").wait_for()
    assert _verdicts(db) == ["accept", "accept"]


RATING = {"fields": [{"name": "stars", "kind": "rating", "min": 1, "max": 5, "step": 2}]}


def test_a_rating_in_steps_of_two_is_picked_by_its_own_number(db, open_page):
    team = build(db, annotators=1, items=2, schema=RATING)
    page = open_page("ann0")
    page.goto(f"/projects/{team.project_id}/work")
    stars = page.get_by_test_id("field-stars")
    assert [b.get_attribute("data-key") for b in stars.locator(".opt").all()] == ["1", "3", "5"]
    page.keyboard.press("2")  # no step is 2: nothing is picked
    assert stars.locator('.opt[aria-pressed="true"]').count() == 0
    page.keyboard.press("3")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    with db.uow(read_only=True) as uow:
        assert uow.session.scalar(select(Annotation.value)) == {"stars": 3}


def test_self_check_rules_and_checklist_show_before_submit(db, open_page):
    team = build(db, annotators=1, items=2)
    pid = team.project_id
    teamops_settings.update_settings(
        db,
        team.lead,
        pid,
        {
            "selfcheck": [
                {
                    "id": "neg-note",
                    "kind": "required_if",
                    "field": "note",
                    "if": {"field": "sentiment", "equals": "negative"},
                }
            ],
            "checklist": [{"id": "read-all", "text": "I read the whole review"}],
        },
    )
    page = open_page("ann0")
    page.goto(f"/projects/{pid}/work")
    note = page.get_by_test_id("selfcheck-note").inner_text()
    assert "note is required when sentiment is 'negative'" in note
    assert "I read the whole review" in page.get_by_test_id("checklist").inner_text()
    page.keyboard.press("1")  # positive: the note may stay empty
    page.get_by_test_id("checklist").get_by_role("checkbox").check()
    page.locator("body").click(position={"x": 5, "y": 5})  # keys go to the page again
    with page.expect_navigation():
        page.keyboard.press("Enter")
    with db.uow(read_only=True) as uow:
        assert uow.session.scalar(select(Annotation.value))["sentiment"] == "positive"


def test_feedback_reads_as_text_and_empty_lists_are_not_numbered(db, open_page):
    team, item_id = _disagreement(db)
    pid = team.project_id
    actor = _reviewer(db, pid)
    lease = review_leases.next_review(db, actor, pid)
    mine = next(a for a in lease["annotations"] if a["annotator"] == "ann0")
    review.record_review(
        db, actor, pid, item_id, verdict="reject", annotation_id=mine["annotation_id"],
        error_tags=["wrong_class"], rule_refs=["1.1"], comment="per rule 1.1",
    )  # fmt: skip
    page = open_page("ann0")
    assignment.next_item(db, team.annotators[0], pid)  # the page shows the held item
    page.goto(f"/projects/{pid}/work")
    panel = page.get_by_test_id("my-feedback")
    panel.locator("summary").click()
    row = panel.get_by_test_id("feedback-entry").first
    row.filter(has_text="reject").wait_for()
    assert "Your label: sentiment: positive" in row.inner_text()
    assert "{" not in row.inner_text() and '"' not in row.inner_text()
    empty = page.locator("#item-extras [data-testid=empty-note]")
    empty.filter(has_text="No comments yet.").wait_for()
    assert page.get_by_test_id("comments").locator("li").count() == 0
    assert not page.get_by_test_id("comments").is_visible()


def test_a_mentioned_annotator_sees_the_notice_in_the_workspace(db, open_page):
    team, item_id = _disagreement(db)
    pid = team.project_id
    rev = open_page("rev")
    rev.goto(f"/projects/{pid}/review")
    rev.locator("#comment-form textarea").fill("@ann0 per rule 1.1, is 'fine' positive?")
    rev.locator("#comment-form button[type=submit]").click()
    rev.get_by_test_id("comments").filter(has_text="per rule 1.1").wait_for()
    ann = open_page("ann0")
    ann.goto(f"/projects/{pid}/work")
    panel = ann.get_by_test_id("my-mentions")
    panel.get_by_test_id("mentions-unread").filter(has_text="1 new").wait_for()
    panel.locator("summary").click()
    panel.locator("li").filter(has_text=f"rev on item {item_id}").wait_for()
    assert "per rule 1.1" in panel.inner_text()
    # opening the panel marks the notice read (a locator wait: the page's CSP forbids eval)
    expect(panel.get_by_test_id("mentions-unread")).to_have_text("")
    ann.reload()
    ann.get_by_test_id("my-mentions").locator("li").first.wait_for(state="attached")
    assert ann.get_by_test_id("mentions-unread").inner_text() == ""
