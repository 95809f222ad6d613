"""Hotkeys a schema may give its options: none that the labelling pages already use.

The workspace and the review page read keys before they reach the fields: a choice on `s`
would skip the item, one on `r` flips the reviewer's verdict to reject (issue 17). A schema is
checked when it is saved (`check_hotkeys`), so a clash is refused with the field, the option
and what the key does there, rather than found by the first annotator who presses it. Letters
are compared without case: both pages read `s` and `S` alike. A letter key used by two fields
is refused too: the page could not tell which field it meant.

Schemas stored before this check keep parsing (submit must keep working for them); they are
refused only when saved again.
"""

from __future__ import annotations

from labelcrew.domain.schema.base import schema_error
from labelcrew.domain.schema.fields import MultiChoice, SingleChoice
from labelcrew.domain.schema.label_schema import LabelSchema

# Keep in step with the keydown handlers of web/static/work.js and web/static/review.js.
WORKSPACE_KEYS = {
    "s": "skips the item",
    "j": "moves to the next field",
    "k": "moves to the previous field",
    "/": "searches the rules",
    "?": "shows the keyboard help",
    "enter": "submits the label",
    "escape": "closes the help",
    "backspace": "starts a ranking over",
    "arrowdown": "moves to the next field",
    "arrowup": "moves to the previous field",
}
REVIEW_KEYS = {
    "a": "accepts the label",
    "c": "starts a correction",
    "r": "rejects the label",
    "j": "moves to the next label",
    "k": "moves to the previous label",
    "m": "writes a comment",
    "n": "opens the next item",
    "?": "shows the keyboard help",
    "enter": "submits the review",
    "escape": "closes the help",
    "backspace": "starts a ranking over",
    "arrowdown": "moves to the next corrected field",
    "arrowup": "moves to the previous corrected field",
    # Shift+1..9 toggles an error tag; on a US layout those presses arrive as these keys.
    **{shifted: "toggles an error tag (Shift+number)" for shifted in "!@#$%^&*("},
}
PAGES = (("the workspace", WORKSPACE_KEYS), ("the review page", REVIEW_KEYS))


def check_hotkeys(schema: LabelSchema) -> None:
    """Raise `invalid_schema` naming `fields[i].hotkeys.<option>` for the first key that a
    page reserves or that another field already uses."""
    taken: dict[str, str] = {}
    for i, f in enumerate(schema.fields):
        if not isinstance(f, SingleChoice | MultiChoice):
            continue
        for option, key in f.hotkeys:
            path = f"fields[{i}].hotkeys.{option}"
            folded = key.lower()
            for page, keys in PAGES:
                if folded in keys:
                    raise schema_error(
                        path,
                        f"key {key!r} of field {f.name!r} is taken: on {page} it {keys[folded]}; "
                        "pick another key",
                    )
            if folded.isdigit():  # number keys act on the highlighted field, by design
                continue
            if folded in taken and taken[folded] != f.name:
                raise schema_error(
                    path,
                    f"key {key!r} of field {f.name!r} is already a key of field "
                    f"{taken[folded]!r}; pick another key",
                )
            taken[folded] = f.name
