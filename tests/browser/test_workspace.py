"""The annotator workspace in Chromium: keyboard-only labeling, mouse spans and boxes, skip,
help, and the guideline acknowledgement gate."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from labelcrew.db.models.core import Annotation, Assignment
from labelcrew.services.projects import projects
from tests.browser.conftest import PHONE, shot
from tests.browser.mouse import IMAGE, drag_box, drag_over_text
from tests.integration.team import build

pytestmark = pytest.mark.browser

RICH_SCHEMA: dict[str, Any] = {
    "fields": [
        {
            "name": "sentiment",
            "kind": "single_choice",
            "options": ["positive", "negative", "neutral"],
        },
        {"name": "topics", "kind": "multi_choice", "options": ["price", "quality", "delivery"]},
        {"name": "stars", "kind": "rating", "min": 1, "max": 5, "step": 1},
        {"name": "better", "kind": "ranking", "candidates": 2},
        {"name": "note", "kind": "text", "required": False, "max_length": 200},
    ]
}


def _annotations(db) -> list[Annotation]:
    with db.uow(read_only=True) as uow:
        return list(uow.session.scalars(select(Annotation).order_by(Annotation.id)))


def _item_id(page) -> int:
    return int(page.get_by_test_id("item-id").inner_text().lstrip("#"))


def test_label_with_the_keyboard_only(db, open_page):
    team = build(db, annotators=1, items=0)
    projects.set_schema(db, team.admin, team.project_id, RICH_SCHEMA)
    _add_rich_items(db, team.project_id, 3)
    page = open_page("ann0")
    page.goto(f"/projects/{team.project_id}/work")
    first = _item_id(page)
    shot(page, "workspace")
    page.keyboard.press("?")
    assert page.get_by_test_id("help").is_visible()
    shot(page, "workspace-help")
    page.keyboard.press("Escape")
    assert not page.get_by_test_id("help").is_visible()
    # sentiment = 2nd option; the highlight moves on to topics by itself
    page.keyboard.press("2")
    page.keyboard.press("1")
    page.keyboard.press("3")
    page.keyboard.press("ArrowDown")  # to stars
    page.keyboard.press("4")  # moves on to the ranking
    page.keyboard.press("2")  # candidate 2 first
    page.keyboard.press("1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _item_id(page) != first
    [saved] = _annotations(db)
    assert saved.item_id == first
    assert saved.value == {
        "sentiment": "negative",
        "topics": ["price", "delivery"],
        "stars": 4,
        "better": [1, 0],
        "note": None,
    }
    # a value the schema refuses names the field and keeps the item
    second = _item_id(page)
    page.keyboard.press("Enter")
    page.get_by_test_id("message").filter(has_text="sentiment").wait_for()
    assert _item_id(page) == second and len(_annotations(db)) == 1
    with page.expect_navigation():
        page.keyboard.press("s")
    with db.uow(read_only=True) as uow:
        state = uow.session.scalar(select(Assignment.state).where(Assignment.item_id == second))
    assert state == "skipped"
    assert _item_id(page) not in (first, second)


def _add_rich_items(db, project_id: int, n: int) -> None:
    from labelcrew.db.models.core import Item

    with db.uow() as uow:
        for i in range(n):
            uow.session.add(
                Item(
                    project_id=project_id,
                    external_id=f"r{i}",
                    payload={
                        "text": f"Review {i}: arrived late but works well",
                        "candidates": [f"Reply A{i}", f"Reply B{i}"],
                    },
                    priority=0,
                    required_skills=[],
                    overlap_target=1,
                    created_at=uow.now,
                )
            )
        uow.commit()


SPAN_SCHEMA: dict[str, Any] = {
    "fields": [{"name": "entities", "kind": "spans", "labels": ["PER", "PLACE"]}]
}
BOX_SCHEMA: dict[str, Any] = {
    "fields": [{"name": "boxes", "kind": "bbox", "labels": ["car", "sign"]}]
}


def _one_item(db, project_id: int, payload: dict[str, Any]) -> None:
    from labelcrew.db.models.core import Item

    with db.uow() as uow:
        uow.session.add(
            Item(
                project_id=project_id,
                external_id="only",
                payload=payload,
                priority=0,
                required_skills=[],
                overlap_target=1,
                created_at=uow.now,
            )
        )
        uow.commit()


def test_select_spans_with_the_mouse(db, open_page):
    team = build(db, annotators=1, items=0)
    projects.set_schema(db, team.admin, team.project_id, SPAN_SCHEMA)
    text = "Ada Lovelace wrote to Charles Babbage from London."
    _one_item(db, team.project_id, {"text": text})
    page = open_page("ann0")
    page.goto(f"/projects/{team.project_id}/work")
    drag_over_text(page, "Charles Babbage")
    page.get_by_test_id("field-entities").get_by_role("button", name="PLACE").click()
    drag_over_text(page, "London")
    list_ = page.get_by_test_id("span-list")
    assert list_.locator("li").count() == 2
    assert page.locator("[data-testid=span-text] mark").all_inner_texts() == [
        "Charles Babbage",
        "London",
    ]
    shot(page, "workspace-spans")
    page.get_by_test_id("submit").click()
    page.get_by_test_id("queue-empty").wait_for()
    [saved] = _annotations(db)
    start = text.index("Charles")
    assert saved.value == {
        "entities": [
            {"start": start, "end": start + len("Charles Babbage"), "label": "PER"},
            {"start": text.index("London"), "end": text.index("London") + 6, "label": "PLACE"},
        ]
    }


def test_draw_a_box_on_the_image(db, open_page):
    team = build(db, annotators=1, items=0)
    projects.set_schema(db, team.admin, team.project_id, BOX_SCHEMA)
    _one_item(db, team.project_id, {"image": IMAGE, "width": 200, "height": 100})
    page = open_page("ann0")
    page.goto(f"/projects/{team.project_id}/work")
    page.get_by_test_id("field-boxes").get_by_role("button", name="sign").click()
    drag_box(page, page.locator("[data-testid=bbox-stage] img"), 200, (20, 10), (120, 60))
    assert page.locator("[data-testid=bbox-stage] .box").count() == 1
    page.get_by_test_id("submit").click()
    page.get_by_test_id("queue-empty").wait_for()
    [saved] = _annotations(db)
    [box] = saved.value["boxes"]
    assert box["label"] == "sign"
    assert abs(box["x"] - 20) <= 1 and abs(box["y"] - 10) <= 1
    assert abs(box["w"] - 100) <= 1 and abs(box["h"] - 50) <= 1


def test_publish_a_guideline_and_pass_the_acknowledgement_gate(db, open_page):
    team = build(db, annotators=1, items=2)
    pid = team.project_id
    lead = open_page("lead")
    lead.goto(f"/projects/{pid}/guidelines")
    editor = lead.get_by_test_id("rule-editor")
    editor.get_by_label("new rule number").fill("2.1")
    editor.get_by_label("new rule title").fill("Sarcasm")
    editor.get_by_label("new rule text").fill("Sarcastic praise is negative.")
    editor.get_by_role("button", name="Save draft").click()
    lead.get_by_test_id("saved").wait_for()
    assert (
        "+2.1 [Sarcasm] Sarcastic praise is negative." in lead.get_by_test_id("diff").inner_text()
    )
    shot(lead, "guidelines", full_page=True)
    form = lead.get_by_test_id("publish-form")
    form.locator("textarea[name=changelog]").fill("New rule 2.1 on sarcasm")
    form.get_by_test_id("publish").click()
    lead.get_by_test_id("saved").wait_for()
    acks = lead.get_by_test_id("acks")
    assert "not yet (has v1)" in acks.locator("tr", has_text="ann0").inner_text()

    ann = open_page("ann0")
    ann.goto(f"/projects/{pid}/work")
    gate = ann.get_by_test_id("ack-gate")
    assert "New rule 2.1 on sarcasm" in gate.get_by_test_id("changelog").inner_text()
    assert "Sarcastic praise is negative." in gate.inner_text()
    shot(ann, "acknowledgement-gate")
    gate.get_by_role("button").click()
    ann.get_by_test_id("item-id").wait_for()
    assert "Sarcastic praise" in ann.get_by_test_id("rules").inner_text()
    ann.fill("#rule-search", "sarcas")
    # the filter runs on input; expect() waits for it instead of reading the count once
    expect(ann.locator("#rules li:visible")).to_have_count(1)
    lead.reload()
    assert "✓ v2" in lead.get_by_test_id("acks").locator("tr", has_text="ann0").inner_text()


def test_workspace_fits_a_phone(db, open_page):
    team = build(db, annotators=1, items=1)
    projects.set_schema(db, team.admin, team.project_id, RICH_SCHEMA)
    _add_rich_items(db, team.project_id, 1)
    page = open_page("ann0", viewport=PHONE)
    page.goto(f"/projects/{team.project_id}/work")
    page.get_by_test_id("item-id").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.get_by_test_id("submit").is_visible()
    shot(page, "workspace-phone", full_page=True)
