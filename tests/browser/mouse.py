"""Mouse gestures the label widgets answer to: select text in a span field, drag a box on an
image (IMAGE, 200 x 100). The workspace and the review page's corrections use the same widgets."""

from __future__ import annotations

from typing import Any

SPAN_TEXT = "[data-testid=span-text]"
# A 200 x 100 image as a data URL: nothing leaves the machine.
IMAGE = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='200' height='100'%3E"
    "%3Crect width='200' height='100' fill='%23cde'/%3E%3C/svg%3E"
)


def drag_over_text(page: Any, needle: str, within: str = SPAN_TEXT) -> None:
    """Press the mouse before the first letter of `needle` in the element `within` (a CSS
    selector) and release after its last."""
    box = page.evaluate(
        """([needle, within]) => {
            const el = document.querySelector(within);
            el.scrollIntoView({block: "center"});
            const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
            let node = walker.nextNode();
            while (node && !node.textContent.includes(needle)) node = walker.nextNode();
            const at = node.textContent.indexOf(needle);
            const first = document.createRange(); first.setStart(node, at); first.setEnd(node, at + 1);
            const last = document.createRange();
            last.setStart(node, at + needle.length - 1); last.setEnd(node, at + needle.length);
            const a = first.getBoundingClientRect(), b = last.getBoundingClientRect();
            return {x0: a.left + 1, y0: a.top + a.height / 2, x1: b.right - 1, y1: b.top + b.height / 2};
        }""",
        [needle, within],
    )
    page.mouse.move(box["x0"], box["y0"])
    page.mouse.down()
    page.mouse.move((box["x0"] + box["x1"]) / 2, box["y1"], steps=4)
    page.mouse.move(box["x1"], box["y1"], steps=4)
    page.mouse.up()


def drag_box(
    page: Any,
    image: Any,
    natural_width: int,
    start: tuple[float, float],
    end: tuple[float, float],
) -> None:
    """Drag from `start` to `end`, given in pixels of the image's natural size, on the image
    (a locator) however large it is shown."""
    image.scroll_into_view_if_needed()
    shown = image.bounding_box()
    scale = shown["width"] / natural_width
    page.mouse.move(shown["x"] + start[0] * scale, shown["y"] + start[1] * scale)
    page.mouse.down()
    page.mouse.move(shown["x"] + end[0] * scale, shown["y"] + end[1] * scale, steps=5)
    page.mouse.up()
