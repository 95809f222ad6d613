"""A lead's pages in Chromium: the item browser to an item and its gold answer, and import by
drag and drop with the CLI's line-exact errors and a progress bar."""

from __future__ import annotations

import json

import pytest

from labelcrew.services.projects import items
from tests.browser.conftest import shot
from tests.integration.browse_team import browse_team
from tests.integration.team import build

pytestmark = pytest.mark.browser


def test_lead_filters_items_opens_one_and_marks_it_gold_with_the_widget(db, open_page):
    team, it = browse_team(db)
    pid = team.project_id
    page = open_page("lead")
    page.goto(f"/projects/{pid}/dashboard")
    page.locator("nav.tabs").get_by_role("link", name="Items").click()
    page.wait_for_url(f"**/projects/{pid}/items")
    assert page.get_by_test_id("items-total").inner_text() == "6 match"
    page.get_by_label("labels disagree").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**disagreement=1**")
    assert page.locator("table[data-testid=items] tr[data-item]").count() == 1
    shot(page, "items")
    page.locator(f"tr[data-item='{it['a']}'] a").first.click()
    page.wait_for_url(f"**/items/{it['a']}?back=**")
    labels = page.get_by_test_id("item-labels").inner_text()
    assert "ann0" in labels and "ann1" in labels and "positive" in labels and "negative" in labels
    assert page.get_by_test_id("item-history").is_visible()
    # mark it gold: the workspace's option buttons, not an id and JSON
    gold = page.get_by_test_id("gold-sentiment")
    page.get_by_test_id("save-gold").click()  # nothing picked: the schema names the field
    page.get_by_text("sentiment", exact=False).and_(page.get_by_test_id("gold-message")).wait_for()
    assert "sentiment" in page.get_by_test_id("gold-message").inner_text()
    gold.get_by_role("button", name="negative").click()
    page.get_by_label("Rule that decides it").fill("1.1")
    page.get_by_test_id("save-gold").click()
    page.get_by_test_id("gold-badge").wait_for()
    stored = items.get_item(db, pid, it["a"], with_gold=True)["gold"]
    assert stored["value"]["sentiment"] == "negative"
    assert (stored["rule"], stored["kind"]) == ("1.1", "gold")
    # the reloaded editor shows the stored answer pressed
    pressed = gold.locator(".opt[aria-pressed=true]")
    assert pressed.count() == 1 and "negative" in pressed.inner_text()
    page.get_by_test_id("back").click()
    page.wait_for_url("**disagreement=1**")


def _drop(page, selector: str, name: str, text: str) -> None:
    """A real drop event carrying one file, as the browser fires it for a dragged file."""
    page.evaluate(
        """([selector, name, text]) => {
            const data = new DataTransfer();
            data.items.add(new File([text], name, { type: "application/json" }));
            const zone = document.querySelector(selector);
            zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true }));
            zone.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true }));
        }""",
        [selector, name, text],
    )


def test_lead_imports_by_drag_and_drop_and_sees_each_bad_line(db, open_page):
    team = build(db, annotators=1, items=0)
    pid = team.project_id
    page = open_page("lead")
    page.goto(f"/projects/{pid}/items")
    page.get_by_role("link", name="Import items").click()
    page.wait_for_url(f"**/projects/{pid}/import")
    good = {"id": "r1", "data": {"text": "fine"}}
    rows = [good, {"id": "r2"}, {"id": "r3", "data": {"text": "ok"}}, "not json"]
    text = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n"
    _drop(page, "#drop-zone", "rows.jsonl", text)
    assert "rows.jsonl" in page.get_by_test_id("chosen-file").inner_text()
    page.get_by_test_id("start-import").click()
    page.get_by_text("Import refused").wait_for()
    lines = page.get_by_test_id("import-errors").locator("li").all_inner_texts()
    assert len(lines) == 2
    assert lines[0].startswith("line 2") and lines[1].startswith("line 4")
    assert "nothing was imported" in page.get_by_test_id("import-status").inner_text()
    assert page.request.get(f"/api/v1/projects/{pid}/items").json()["total"] == 0
    shot(page, "import-refused")
    # the file input, this time importing the good rows and skipping the bad ones
    page.get_by_test_id("import-file").set_input_files(
        {"name": "rows.jsonl", "mimeType": "application/json", "buffer": text.encode()}
    )
    page.get_by_label("import the good rows").check()
    page.get_by_test_id("start-import").click()
    page.get_by_text("2 item(s) created").wait_for()
    assert page.get_by_test_id("import-progress").get_attribute("value") == "100"
    assert len(page.get_by_test_id("import-errors").locator("li").all()) == 2
    page.get_by_test_id("browse-imported").click()
    page.wait_for_url(f"**/projects/{pid}/items")
    assert page.get_by_test_id("items-total").inner_text() == "2 match"


def test_admin_builds_a_schema_with_a_live_preview_and_creates_the_project(db, open_page):
    build(db, annotators=0, items=0)
    page = open_page("admin")
    page.get_by_test_id("new-project").click()
    page.wait_for_url("**/projects/new")
    page.get_by_label("Project name").fill("News topics")
    page.get_by_label("Slug").fill("news")
    page.get_by_label("Lead (username").fill("lead")
    first = page.get_by_test_id("builder-field-0")
    first.get_by_label("Field name").fill("topic")
    first.get_by_label("Options").fill("sport\nnews, politics\nweather")
    first.get_by_label("Hotkeys").fill("p, e")
    error = page.get_by_test_id("preview-error")
    error.wait_for()
    assert (
        "fields[0].hotkeys" in error.inner_text() and "2 keys for 3 options" in error.inner_text()
    )
    first.get_by_label("Hotkeys").fill("p, e, w")
    topic = page.get_by_test_id("preview-topic")
    topic.wait_for()
    assert topic.locator("kbd").all_inner_texts() == ["p", "e", "w"]
    page.get_by_test_id("add-rating").click()
    stars = page.get_by_test_id("builder-field-1")
    stars.get_by_label("Field name").fill("stars")
    stars.get_by_label("Highest").fill("3")
    page.get_by_test_id("add-text").click()
    page.get_by_test_id("preview-text").wait_for()
    rating = page.get_by_test_id("preview-stars")
    assert rating.locator(".opt").count() == 3
    rating.get_by_role("button", name="2").click()  # the preview's widgets work as in the workspace
    assert rating.locator(".opt[aria-pressed=true]").inner_text().endswith("2")
    shot(page, "project-new", full_page=True)
    page.get_by_test_id("create-project").click()
    page.wait_for_url("**/import")
    pid = int(page.url.split("/")[-2])
    definition = projects_schema(db, pid)
    assert [f["name"] for f in definition["fields"]] == ["topic", "stars", "text"]
    assert definition["fields"][0]["options"] == ["sport", "news, politics", "weather"]
    keys = {"sport": "p", "news, politics": "e", "weather": "w"}
    assert definition["fields"][0]["hotkeys"] == keys
    assert definition["fields"][2]["required"] is False


def projects_schema(db, pid):
    from labelcrew.services.projects import projects

    return projects.get_schema(db, pid)["definition"]
