"""The annotator workspace's tools in Chromium (issue 17): the progress count and the queue in
the status bar, skip with a reason, flag as ambiguous, and undo within an item."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from labelcrew.db.models.core import Annotation, AuditEvent
from labelcrew.db.models.feedback import ReviewTask
from labelcrew.services.projects import projects
from labelcrew.services.review import feedback_settings
from tests.browser.test_workspace import RICH_SCHEMA, _add_rich_items, _item_id
from tests.integration.team import build

pytestmark = pytest.mark.browser


def test_progress_count_and_skip_with_a_reason(db, open_page):
    team = build(db, annotators=1, items=4)
    pid = team.project_id
    page = open_page("ann0")
    page.goto(f"/projects/{pid}/work")
    assert "annotation queue" in page.get_by_test_id("queue").inner_text()
    page.get_by_test_id("progress").filter(has_text="0 today · 0 in all").wait_for()
    page.keyboard.press("1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_test_id("progress").filter(has_text="1 today · 1 in all").wait_for()
    skipped = _item_id(page)
    page.get_by_test_id("skip-reason").fill("the review is in Portuguese")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter in the reason box skips, it does not submit
    assert _item_id(page) != skipped
    with db.uow(read_only=True) as uow:
        after = uow.session.scalar(
            select(AuditEvent.after).where(AuditEvent.action == "assignment.skip")
        )
        labels = uow.session.scalars(select(Annotation.item_id)).all()
    assert after == {"state": "skipped", "reason": "the review is in Portuguese"}
    assert skipped not in labels
    page.get_by_test_id("progress").filter(has_text="1 today · 1 in all").wait_for()
    assert page.get_by_test_id("progress").get_attribute("title") == "1 skipped"


def test_flag_an_item_as_ambiguous_from_the_page(db, open_page):
    team = build(db, annotators=1, items=2)
    pid = team.project_id
    feedback_settings.update_settings(db, team.lead, pid, review_policy={"flags": True})
    page = open_page("ann0")
    page.goto(f"/projects/{pid}/work")
    item = _item_id(page)
    page.get_by_test_id("flag-open").click()
    page.get_by_test_id("flag-reason").fill("sarcasm or praise? rule 1.1 does not say")
    page.get_by_test_id("flag-submit").click()
    page.get_by_test_id("flag-message").filter(has_text="Flagged").wait_for()
    with db.uow(read_only=True) as uow:
        task = uow.session.scalar(select(ReviewTask).where(ReviewTask.item_id == item))
    assert task is not None
    assert task.reasons[0]["reason"] == "sarcasm or praise? rule 1.1 does not say"


def test_undo_takes_back_changes_within_the_item(db, open_page):
    team = build(db, annotators=1, items=0)
    projects.set_schema(db, team.admin, team.project_id, RICH_SCHEMA)
    _add_rich_items(db, team.project_id, 1)
    page = open_page("ann0")
    page.goto(f"/projects/{team.project_id}/work")
    sentiment = page.get_by_test_id("field-sentiment")
    page.keyboard.press("2")  # negative; the highlight moves on to topics
    page.keyboard.press("1")  # topics: price
    page.keyboard.press("Control+z")  # takes back "price"
    topics = page.get_by_test_id("field-topics")
    assert topics.locator('.opt[aria-pressed="true"]').count() == 0
    pressed = sentiment.locator('.opt[aria-pressed="true"]')
    assert pressed.inner_text().endswith("negative")
    sentiment.get_by_role("button", name="neutral").click()  # the mouse counts as a step too
    page.keyboard.press("Control+z")
    assert sentiment.locator('.opt[aria-pressed="true"]').inner_text().endswith("negative")
    page.keyboard.press("Control+z")
    assert sentiment.locator('.opt[aria-pressed="true"]').count() == 0
    page.keyboard.press("Control+z")
    assert "Nothing to undo" in page.get_by_test_id("message").inner_text()
