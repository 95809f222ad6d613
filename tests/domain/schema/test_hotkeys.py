"""Schema hotkeys may not take the keys the workspace and the review page use (issue 17): a
choice on `s` used to skip the item, one on `r` flipped a review to reject."""

from __future__ import annotations

import pytest

from labelcrew.domain.schema.hotkeys import check_hotkeys
from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.errors import ValidationFailed


def _schema(*fields: dict) -> LabelSchema:
    return LabelSchema.parse({"fields": list(fields)})


def _choice(name: str, hotkeys: dict[str, str], kind: str = "single_choice") -> dict:
    return {"name": name, "kind": kind, "options": list(hotkeys), "hotkeys": hotkeys}


@pytest.mark.parametrize(
    ("key", "page", "does"),
    [
        ("s", "the workspace", "skips the item"),
        ("S", "the workspace", "skips the item"),
        ("r", "the review page", "rejects the label"),
        ("A", "the review page", "accepts the label"),
        ("Enter", "the workspace", "submits the label"),
        ("!", "the review page", "toggles an error tag"),
    ],
)
def test_a_key_a_page_uses_is_refused_naming_field_option_and_what_it_does(key, page, does):
    schema = _schema(_choice("mood", {"happy": "h", "sad": key}))
    with pytest.raises(ValidationFailed) as err:
        check_hotkeys(schema)
    assert err.value.code == "invalid_schema"
    assert err.value.field == "fields[0].hotkeys.sad"
    assert f"key {key!r} of field 'mood'" in err.value.message
    assert page in err.value.message and does in err.value.message


def test_a_letter_shared_by_two_fields_is_refused():
    schema = _schema(
        _choice("mood", {"happy": "h", "sad": "x"}),
        _choice("topic", {"price": "p", "other": "X"}, kind="multi_choice"),
    )
    with pytest.raises(ValidationFailed) as err:
        check_hotkeys(schema)
    assert err.value.field == "fields[1].hotkeys.other"
    assert "already a key of field 'mood'" in err.value.message


def test_free_letters_and_number_keys_pass():
    check_hotkeys(
        _schema(
            _choice("mood", {"happy": "h", "sad": "1"}),
            _choice("topic", {"price": "p", "other": "1"}),
            {"name": "stars", "kind": "rating", "min": 1, "max": 5},
        )
    )
