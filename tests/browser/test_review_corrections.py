"""Correcting span, box and ranking labels on the review page in Chromium, with the same mouse
and keyboard widgets as the workspace, starting from the label being corrected."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from labelcrew.services.projects import projects
from labelcrew.services.work import assignment, submission
from tests.browser.conftest import shot
from tests.browser.mouse import IMAGE, drag_box, drag_over_text
from tests.integration.team import add_items, build, user

pytestmark = pytest.mark.browser

TEXT = "Ada Lovelace wrote to Charles Babbage from London."
REGION_SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "entities", "kind": "spans", "labels": ["PER", "PLACE"]},
        {"name": "boxes", "kind": "bbox", "labels": ["car", "sign"]},
        {"name": "better", "kind": "ranking", "candidates": 2},
    ]
}
ADA = {"start": 0, "end": len("Ada Lovelace"), "label": "PER"}
LONDON = {"start": TEXT.index("London"), "end": TEXT.index("London") + 6, "label": "PLACE"}
CAR = {"x": 10, "y": 10, "w": 40, "h": 30, "label": "car"}


def _disputed_regions(db) -> tuple[int, int]:
    """Two annotators mark one text and image differently; a reviewer joins the project."""
    team = build(db, annotators=2, items=0, overlap=2)
    pid = team.project_id
    projects.set_schema(db, team.admin, pid, REGION_SCHEMA)
    payload = {"text": TEXT, "image": IMAGE, "width": 200, "height": 100, "a": "A", "b": "B"}
    add_items(db, pid, 1, overlap=2, payload=payload)
    labels = [
        {"entities": [ADA], "boxes": [CAR], "better": [0, 1]},
        {"entities": [LONDON], "boxes": [], "better": [1, 0]},
    ]
    for i, (annotator, value) in enumerate(zip(team.annotators, labels, strict=True)):
        item_id = assignment.next_item(db, annotator, pid)["item"]["id"]
        submission.submit(db, annotator, pid, item_id, value, idempotency_key=f"k{i}")
    user(db, "rev")
    projects.set_member(db, team.admin, pid, username="rev", roles=["reviewer"])
    return pid, item_id


def test_correct_spans_boxes_and_ranking_without_typing_json(db, open_page):
    pid, item_id = _disputed_regions(db)
    page = open_page("rev")
    page.goto(f"/projects/{pid}/review")
    card = page.get_by_test_id("annotation-ann0")
    # the label itself: its span marked in the text, its box drawn on the image
    assert card.locator(".value .span-text mark").all_inner_texts() == ["Ada Lovelace"]
    assert card.locator(".value .bbox-stage .box").count() == 1
    assert card.locator(".value .ranking-view").inner_text() == "A › B"

    card.get_by_role("button", name="Correct").click()
    entities = card.get_by_test_id("correct-entities")
    boxes = card.get_by_test_id("correct-boxes")
    better = card.get_by_test_id("correct-better")
    # the widgets start from ann0's label
    assert entities.locator("[data-testid=span-text] mark").all_inner_texts() == ["Ada Lovelace"]
    assert entities.get_by_test_id("span-list").locator("li").count() == 1
    assert boxes.get_by_test_id("box-list").locator("li").count() == 1
    expect(boxes.locator("[data-testid=bbox-stage] .box")).to_have_count(1)
    assert better.get_by_test_id("ranking-order").locator("li").all_inner_texts() == ["A", "B"]

    # spans: add "Charles Babbage" (PER) with the mouse, then London as a PLACE
    within = "[data-testid=annotation-ann0] [data-testid=correct-entities] [data-testid=span-text]"
    drag_over_text(page, "Charles Babbage", within)
    entities.get_by_role("button", name="PLACE").click()
    drag_over_text(page, "London", within)
    assert entities.locator("[data-testid=span-text] mark").all_inner_texts() == [
        "Ada Lovelace",
        "Charles Babbage",
        "London",
    ]
    # boxes: drop ann0's car, drag a sign
    boxes.get_by_test_id("box-list").get_by_role("button", name="remove").click()
    boxes.get_by_role("button", name="sign").click()
    stage_img = boxes.locator("[data-testid=bbox-stage] img")
    drag_box(page, stage_img, 200, (20, 10), (120, 60))
    expect(boxes.locator("[data-testid=bbox-stage] .box")).to_have_count(1)
    # ranking with the keyboard: the field below is "better"; Backspace starts over, 2 then 1
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Backspace")
    page.keyboard.press("2")
    page.keyboard.press("1")
    assert better.get_by_test_id("ranking-order").locator("li").all_inner_texts() == ["B", "A"]
    card.get_by_label("Boundary error").check()
    shot(page, "review-correction", full_page=True)
    page.keyboard.press("Enter")
    card.get_by_test_id("result").filter(has_text="Recorded: correct").wait_for()

    # read back through the API, as the reviewer
    response = page.request.get(f"/api/v1/projects/{pid}/items/{item_id}/reviews")
    assert response.ok
    [stored] = response.json()
    assert stored["verdict"] == "correct" and stored["error_tags"] == ["boundary_error"]
    value = stored["corrected_value"]
    babbage = TEXT.index("Charles Babbage")
    assert value["entities"] == [
        ADA,
        {"start": babbage, "end": babbage + len("Charles Babbage"), "label": "PER"},
        LONDON,
    ]
    [box] = value["boxes"]
    assert box["label"] == "sign"
    assert abs(box["x"] - 20) <= 1 and abs(box["y"] - 10) <= 1
    assert abs(box["w"] - 100) <= 1 and abs(box["h"] - 50) <= 1
    assert value["better"] == [1, 0]
