"""From a schema definition and an item payload to what the workspace draws for each field.

Presentation only: which keys pick which option, the buttons of a short rating scale, the
texts of ranking candidates, the text a span field marks and the image a box field draws on.
Validation stays in the schema (the submit call answers with the exact bad field).
"""

from __future__ import annotations

from typing import Any

MAX_KEYED = 9  # number keys 1-9
MAX_RATING_BUTTONS = 11


def _keys(options: list[str], hotkeys: dict[str, str] | None) -> list[str]:
    if hotkeys:
        return [hotkeys.get(option, "") for option in options]
    return [str(i + 1) if i < MAX_KEYED else "" for i in range(len(options))]


def _rating_steps(f: dict[str, Any]) -> list[tuple[int | float, str]]:
    """The buttons of a short scale as (value, key). On a scale of whole numbers a number key
    is the value it picks (1..5 in steps of 2: keys 1, 3, 5; key 2 used to pick 3); values
    without a digit of their own (10, fractions, negatives) are keyed by position instead."""
    step = f.get("step")
    if step is None:
        return []
    low, high = f["min"], f["max"]
    count = round((high - low) / step) + 1
    if count > MAX_RATING_BUTTONS:
        return []
    integral = float(low).is_integer() and float(step).is_integer()
    values = [int(low + k * step) if integral else round(low + k * step, 9) for k in range(count)]
    if integral and all(0 <= v <= 9 for v in values):
        return [(v, str(v)) for v in values]
    by_position = [
        str(k + 1) if k < MAX_KEYED else "0" if k == MAX_KEYED else "" for k in range(count)
    ]
    return list(zip(values, by_position, strict=True))


def _candidates(payload: dict[str, Any], n: int) -> list[str]:
    for key in ("candidates", "responses", "options"):
        found = payload.get(key)
        if isinstance(found, list) and len(found) == n:
            return [str(c) for c in found]
    if n == 2 and "a" in payload and "b" in payload:
        return [str(payload["a"]), str(payload["b"])]
    return [f"Candidate {i + 1}" for i in range(n)]


def fields_of(definition: dict[str, Any], payload: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for f in definition["fields"]:
        widget: dict[str, Any] = {
            "name": f["name"],
            "kind": f["kind"],
            "required": f.get("required", True),
            "description": f.get("description", ""),
        }
        kind = f["kind"]
        if kind in ("single_choice", "multi_choice"):
            widget["options"] = list(
                zip(f["options"], _keys(f["options"], f.get("hotkeys")), strict=True)
            )
        elif kind == "rating":
            widget.update(min=f["min"], max=f["max"], step=f.get("step"), steps=_rating_steps(f))
        elif kind == "ranking":
            widget["candidates"] = _candidates(payload, int(f["candidates"]))
            widget["allow_ties"] = bool(f.get("allow_ties"))
        elif kind == "spans":
            widget["labels"] = list(f["labels"])
            widget["source"] = f.get("source", "text")
            widget["text"] = str(payload.get(widget["source"], ""))
        elif kind == "bbox":
            widget["labels"] = list(f["labels"])
            widget["source"] = f.get("source", "image")
            widget["image"] = str(payload.get(widget["source"], ""))
        elif kind == "text":
            widget["max_length"] = f.get("max_length")
        out.append(widget)
    return out


def shown_payload(payload: dict[str, Any], fields: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """Payload entries worth showing as plain text (not already drawn by a span or box field)."""
    hidden = {"width", "height", "image_width", "image_height", "candidates", "responses"}
    hidden.update(f["source"] for f in fields if f["kind"] in ("spans", "bbox"))
    return [(k, v) for k, v in payload.items() if k not in hidden]
