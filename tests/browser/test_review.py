"""The review page, the escalation inbox and the workspace's question, comments and feedback
in Chromium: a disagreement reviewed and corrected with the keyboard, a question asked from the
workspace, escalated by the reviewer and resolved by the guideline owner."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from labelcrew.db.models.feedback import Escalation, Review
from labelcrew.services.accounts.users import Actor
from labelcrew.services.projects import items, projects
from labelcrew.services.review import comments
from labelcrew.services.review import leases as review_leases
from labelcrew.services.review import reviews as review
from labelcrew.services.work import assignment, submission
from tests.browser.conftest import DESK, PHONE, shot, sign_in
from tests.integration.team import build, user

pytestmark = pytest.mark.browser


def _disagreement(db) -> tuple[Any, int]:
    """Two annotators label one item differently; a reviewer joins the project."""
    team = build(db, annotators=2, items=2, overlap=2)
    pid, (ann_a, ann_b) = team.project_id, team.annotators
    user(db, "rev")
    projects.set_member(db, team.admin, pid, username="rev", roles=["reviewer"])
    item_id = assignment.next_item(db, ann_a, pid)["item"]["id"]
    submission.submit(db, ann_a, pid, item_id, {"sentiment": "positive"}, idempotency_key="a")
    # ann_b may be served the other item first (PostgreSQL spreads concurrent annotators over
    # the top items): label it the same way, so only the disputed item goes to review
    for key in ("b", "b2"):
        served = assignment.next_item(db, ann_b, pid)["item"]["id"]
        sentiment = "negative" if served == item_id else "positive"
        submission.submit(db, ann_b, pid, served, {"sentiment": sentiment}, idempotency_key=key)
        if served == item_id:
            break
    else:
        raise AssertionError(f"ann_b was never served item {item_id}")
    return team, item_id


def test_the_review_page_names_a_disagreement_on_a_field_after_the_first(db, open_page):
    """Both annotators pick the same sentiment and different severities: the item goes to
    review, and the page says the labels disagree on severity, not that they agree."""
    schema = {
        "fields": [
            {"name": "sentiment", "kind": "single_choice", "options": ["positive", "negative"]},
            {"name": "severity", "kind": "rating", "min": 1, "max": 5, "step": 1},
        ]
    }
    team = build(db, annotators=2, items=1, overlap=2, schema=schema)
    pid = team.project_id
    user(db, "rev")
    projects.set_member(db, team.admin, pid, username="rev", roles=["reviewer"])
    for k, (annotator, severity) in enumerate(zip(team.annotators, (4, 3), strict=True)):
        item_id = assignment.next_item(db, annotator, pid)["item"]["id"]
        value = {"sentiment": "positive", "severity": severity}
        submission.submit(db, annotator, pid, item_id, value, idempotency_key=f"k{k}")
    page = open_page("rev")
    page.goto(f"/projects/{pid}/review")
    assert "disagree" in page.get_by_test_id("reasons").inner_text()
    agreement = page.get_by_test_id("agreement").inner_text()
    assert "Labels disagree on severity" in agreement
    assert "agree" in page.get_by_test_id("split-sentiment").inner_text()
    severity = page.get_by_test_id("split-severity").inner_text()
    assert "50% with the most common answer" in severity
    assert "4 × 1" in severity and "3 × 1" in severity


def _reviews(db) -> list[Review]:
    with db.uow(read_only=True) as uow:
        return list(uow.session.scalars(select(Review).order_by(Review.id)))


def test_review_a_disagreement_with_the_keyboard(db, open_page):
    team, item_id = _disagreement(db)
    pid = team.project_id
    comments.add_comment(db, team.annotators[0], pid, item_id, body="Is 'fine' positive here?")
    page = open_page("rev")
    page.goto(f"/projects/{pid}/guidelines")
    assert "Review" in page.locator("nav.tabs").inner_text()
    page.goto(f"/projects/{pid}/review")
    assert page.get_by_test_id("item-id").inner_text() == f"#{item_id}"
    assert "disagree" in page.get_by_test_id("reasons").inner_text()
    agreement = page.get_by_test_id("agreement").inner_text()
    assert "Labels disagree" in agreement
    assert "positive × 1" in agreement and "negative × 1" in agreement
    first, second = page.get_by_test_id("annotation-ann0"), page.get_by_test_id("annotation-ann1")
    assert "positive" in first.inner_text() and "negative" in second.inner_text()
    thread = page.get_by_test_id("comments")
    thread.filter(has_text="Is 'fine' positive here?").wait_for()
    assert "ann0" in thread.inner_text()
    shot(page, "review")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESK)

    # ann0's label: C opens the correction, 2 picks "negative", Shift+1 tags it; a comment
    # that cites no rule is stored and answered with the server's warning
    page.keyboard.press("c")
    assert first.get_by_test_id("correction").is_visible()
    page.keyboard.press("2")
    page.keyboard.press("Shift+Digit1")
    page.keyboard.press("m")
    page.keyboard.type("The customer is unhappy overall.")
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    warning = first.locator("[data-testid=warnings] li[data-code=not_tied_to_rule]")
    warning.wait_for()
    assert "cites no guideline rule" in warning.inner_text()
    [corrected] = _reviews(db)
    assert corrected.verdict == "correct"
    assert corrected.corrected_value == {"sentiment": "negative", "note": None}
    assert corrected.error_tags == ["wrong_class"] and corrected.rule_refs == []

    # the highlight moved on to ann1's label: accept it, and the item is done
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    page.get_by_test_id("item-done").wait_for()
    assert [r.verdict for r in _reviews(db)] == ["correct", "accept"]
    assert "Recorded: accept" in second.get_by_test_id("result").inner_text()
    with page.expect_navigation():
        page.keyboard.press("n")
    assert "no item needs your review" in page.get_by_test_id("review-empty").inner_text()


def test_a_correction_the_schema_refuses_names_the_field(db, open_page):
    team, _ = _disagreement(db)
    page = open_page("rev")
    page.goto(f"/projects/{team.project_id}/review")
    first = page.get_by_test_id("annotation-ann0")
    page.keyboard.press("r")
    page.keyboard.press("Enter")  # a rejection needs an error tag
    first.get_by_test_id("result").filter(has_text="error_tags").wait_for()
    page.keyboard.press("c")
    page.keyboard.press("Shift+Digit1")
    page.keyboard.press("Enter")  # unchanged value: the server says to accept instead
    first.get_by_test_id("result").filter(has_text="accept").wait_for()
    assert _reviews(db) == []


def test_question_from_the_workspace_escalated_and_resolved(db, clock, open_page):
    team, item_id = _disagreement(db)
    pid = team.project_id
    ann = open_page("ann0")
    ann.goto(f"/projects/{pid}/work")
    asked_on = int(ann.get_by_test_id("item-id").inner_text().lstrip("#"))
    assert asked_on != item_id  # ann0 labelled the disputed item; the question is on the next
    ann.get_by_test_id("ask-open").click()
    ann.get_by_test_id("ask-question").fill("Is faint praise with a complaint negative?")
    ann.get_by_test_id("ask-rule").select_option("1.1")
    ann.get_by_test_id("ask-submit").click()
    ann.get_by_test_id("ask-message").filter(has_text="sent").wait_for()
    ann.get_by_test_id("comment-body").fill("The payload has a typo.")
    ann.get_by_test_id("comment-submit").click()
    ann.get_by_test_id("comments").filter(has_text="The payload has a typo.").wait_for()
    assert "ann0" in ann.get_by_test_id("comments").inner_text()

    rev = open_page("rev")
    rev.goto(f"/projects/{pid}/escalations")
    with db.uow(read_only=True) as uow:
        [ticket] = uow.session.scalars(select(Escalation)).all()
    assert ticket.item_id == asked_on and ticket.rule_number == "1.1"
    card = rev.get_by_test_id(f"ticket-{ticket.id}")
    assert "faint praise" in card.get_by_test_id("question").inner_text()
    assert "asked by ann0" in card.inner_text()
    asked = items.get_item(db, pid, asked_on, with_gold=False)["payload"]["text"]
    assert card.get_by_test_id("item-payload").inner_text().split() == ["text", *asked.split()]
    assert "overdue" not in (card.get_attribute("class") or "")
    clock.advance(25 * 3600)  # past the 24 h level-1 SLA
    sign_in(rev, "rev")  # 25 h also ended the reviewer's session (12 h at most)
    rev.goto(f"/projects/{pid}/escalations")
    assert "overdue" in (card.get_attribute("class") or "")
    assert rev.get_by_test_id("overdue-count").inner_text() == "1 overdue"
    card.get_by_label("escalation note").fill("The guideline is silent on mixed reviews.")
    with rev.expect_navigation():
        card.get_by_role("button", name="Escalate to level 2").click()
    assert "No tickets" not in rev.get_by_test_id("tickets").inner_text()
    assert card.get_attribute("data-state") == "escalated"
    assert card.get_by_label("ruling").count() == 0  # reviewers do not rule

    owner = open_page("lead")
    owner.goto(f"/projects/{pid}/escalations")
    assert "Escalations" in owner.locator("nav.tabs").inner_text()
    card = owner.get_by_test_id(f"ticket-{ticket.id}")
    card.get_by_label("ruling", exact=True).fill(
        "Faint praise followed by a complaint is negative."
    )
    card.get_by_label("ruling rule number").fill("1.3")
    shot(owner, "escalations")
    with owner.expect_navigation():
        card.get_by_role("button", name="Resolve").click()
    owner.goto(f"/projects/{pid}/escalations?state=resolved")
    ruling = owner.get_by_test_id(f"ticket-{ticket.id}").get_by_test_id("ruling").inner_text()
    assert "rule 1.3" in ruling and "complaint is negative" in ruling
    with db.uow(read_only=True) as uow:
        done = uow.session.get(Escalation, ticket.id)
        assert done is not None and (done.state, done.ruling_rule) == ("resolved", "1.3")

    # the annotator's "my questions" list shows the ruling (a day later: a new session)
    sign_in(ann, "ann0")
    ann.goto(f"/projects/{pid}/work")
    ann.get_by_test_id("my-questions").filter(has_text="complaint is negative").wait_for()


def test_my_feedback_lists_reviews_of_own_labels(db, open_page):
    team, item_id = _disagreement(db)
    pid = team.project_id
    reviewer = next(m for m in projects.list_members(db, pid) if m["username"] == "rev")
    actor = Actor(reviewer["user_id"], "rev", False)
    lease = review_leases.next_review(db, actor, pid)
    mine = next(a for a in lease["annotations"] if a["annotator"] == "ann0")
    review.record_review(
        db,
        actor,
        pid,
        item_id,
        verdict="correct",
        annotation_id=mine["annotation_id"],
        corrected_value={"sentiment": "negative"},
        error_tags=["wrong_class"],
        rule_refs=["1.1"],
        comment="per rule 1.1 the overall tone counts",
    )
    page = open_page("ann0")
    page.goto(f"/projects/{pid}/work")
    panel = page.get_by_test_id("my-feedback")
    panel.locator("summary").click()
    row = panel.locator("li").first
    row.filter(has_text="correct").wait_for()
    text = row.inner_text()
    assert "Wrong class" in text and "Label the overall sentiment." in text
    assert "Corrected: sentiment" in text and "per rule 1.1" in text
    assert "negative" not in text  # the corrected value is never shown (it may be gold's)
    assert panel.locator("li").count() == 1  # ann1's label was not reviewed
