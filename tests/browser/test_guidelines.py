"""The guideline editor's publish form in Chromium: send the items a revision affects back for
relabel, see how many before confirming, and find them sent back after publishing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from labelcrew.db.models.core import Annotation, Assignment
from labelcrew.db.models.guidelines import RelabelItem
from tests.browser.conftest import shot
from tests.integration.relabel_team import labelled_team

pytestmark = pytest.mark.browser


def _box(scope: Any, name: str) -> Any:
    """A checkbox of the publish form by its label (the changelog's label holds its text too)."""
    return scope.get_by_role("checkbox", name=name)


def test_publish_with_relabel_after_a_preview(db, open_page):
    team = labelled_team(db)  # item 1's review cites rule 1.1; ann1 labelled item 1 negative
    pid = team.project_id
    lead = open_page("lead")
    lead.goto(f"/projects/{pid}/guidelines")
    form = lead.get_by_test_id("publish-form")
    criteria = form.get_by_test_id("relabel-criteria")
    assert not criteria.is_visible()  # publishing alone stays one click away
    form.get_by_test_id("relabel-toggle").check()
    assert criteria.is_visible()
    # the changed rule (1.1 reworded) and the new one (1.2) come ticked
    assert _box(criteria, "1.1").is_checked() and _box(criteria, "1.2").is_checked()

    # nothing ticked is refused before anything is counted
    _box(criteria, "1.1").uncheck()
    _box(criteria, "1.2").uncheck()
    with lead.expect_navigation():
        form.get_by_test_id("relabel-preview").click()
    form = lead.get_by_test_id("publish-form")
    assert "Tick at least one rule or label" in form.get_by_test_id("relabel-problem").inner_text()

    # the preview keeps the form as filled and counts items, labels and reasons
    form.locator("textarea[name=changelog]").fill("1.1 now says: the whole review")
    _box(form, "1.1").check()
    _box(form, "positive").check()
    with lead.expect_navigation():
        form.get_by_test_id("relabel-preview").click()
    form = lead.get_by_test_id("publish-form")
    preview = form.get_by_test_id("preview")
    assert form.get_by_test_id("preview-items").inner_text() == "4"  # every item has a positive
    assert "8 labels superseded" in preview.inner_text()
    _box(form, "positive").uncheck()
    _box(form, "negative").check()
    assert "stale" in (preview.get_attribute("class") or "")
    with lead.expect_navigation():
        form.get_by_test_id("relabel-preview").click()
    form = lead.get_by_test_id("publish-form")
    preview = form.get_by_test_id("preview")
    assert form.get_by_test_id("preview-items").inner_text() == "1"
    text = preview.inner_text()
    assert "2 labels superseded" in text
    assert "rule 1.1: 1 item" in text and "label negative: 1 item" in text
    assert "#1" in text
    assert form.locator("textarea[name=changelog]").input_value() == (
        "1.1 now says: the whole review"
    )
    assert _box(form, "1.1").is_checked() and not _box(form, "1.2").is_checked()
    shot(lead, "guidelines-relabel", full_page=True)

    with lead.expect_navigation():
        form.get_by_test_id("publish").click()
    saved = lead.get_by_test_id("saved")
    assert "1 item sent back for relabel" in saved.inner_text()
    assert "v2 sent 1 item back for relabel" in lead.get_by_test_id("sent-back").inner_text()

    # read back through the API and the tables: item 1, its two labels superseded and released
    links = lead.request.get(f"/api/v1/projects/{pid}/guidelines/2/links")
    assert links.ok
    [sent] = links.json()["relabels"]
    assert sent["items"] == 1 and sent["superseded"] == 2
    assert sent["criteria"]["rules"] == ["1.1"] and sent["criteria"]["labels"] == ["negative"]
    with db.uow(read_only=True) as uow:
        relabelled = uow.session.execute(select(RelabelItem.item_id, RelabelItem.reasons)).all()
        assert [(i, sorted(r)) for i, r in relabelled] == [(1, ["label:negative", "rules:1.1"])]
        live = uow.session.scalars(
            select(Annotation.item_id).where(Annotation.superseded_at.is_(None))
        ).all()
        assert sorted(live) == [2, 2, 3, 3, 4, 4]
        queues = uow.session.scalars(select(Assignment.queue).where(Assignment.item_id == 1))
        assert set(queues) == {"relabel"}
