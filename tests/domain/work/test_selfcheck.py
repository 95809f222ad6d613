"""Self-check rules and the checklist."""

from __future__ import annotations

import pytest

from labelcrew.domain.work import selfcheck
from labelcrew.errors import ValidationFailed

RULES = [
    {
        "id": "neg-note",
        "kind": "required_if",
        "field": "note",
        "if": {"field": "sentiment", "equals": "negative"},
    },
    {"kind": "min_items", "field": "entities", "min": 1},
    {
        "id": "why",
        "kind": "min_words",
        "field": "rationale",
        "min": 5,
        "if": {"field": "preference", "in": ["A", "B"]},
    },
    {"id": "few", "kind": "max_items", "field": "tags", "max": 2},
]


def test_parse_fills_ids_and_refuses_bad_rules():
    rules = selfcheck.parse_rules(RULES)
    assert [r["id"] for r in rules] == ["neg-note", "rule-2", "why", "few"]
    bad = [
        ([{"kind": "nope", "field": "x"}], "selfcheck[0].kind"),
        ([{"kind": "min_items", "field": "x"}], "selfcheck[0].min"),
        ([{"kind": "required_if", "field": "x"}], "selfcheck[0].if"),
        ([RULES[1], {"kind": "min_words", "min": 2}], "selfcheck[1].field"),
        ([{"kind": "min_words", "field": "x", "min": 1, "if": {"field": "y"}}], "selfcheck[0].if"),
        ("x", "selfcheck"),
    ]
    for raw, field in bad:
        with pytest.raises(ValidationFailed) as err:
            selfcheck.parse_rules(raw)
        assert err.value.field == field


def test_check_reports_each_broken_rule_with_its_field():
    rules = selfcheck.parse_rules(RULES)
    ok = {
        "sentiment": "negative",
        "note": "late",
        "entities": [{"s": 0}],
        "preference": "A",
        "rationale": "one two three four five",
        "tags": ["a"],
    }
    assert selfcheck.check(rules, ok) == []
    bad = {
        "sentiment": "negative",
        "note": "",
        "entities": [],
        "preference": "B",
        "rationale": "too short",
        "tags": ["a", "b", "c"],
    }
    found = selfcheck.check(rules, bad)
    assert [(v.rule, v.field) for v in found] == [
        ("neg-note", "note"),
        ("rule-2", "entities"),
        ("why", "rationale"),
        ("few", "tags"),
    ]
    assert "has 2" in found[2].message and "'negative'" in found[0].message
    positive = {"sentiment": "positive", "entities": [1], "preference": "tie"}
    assert selfcheck.check(rules, positive) == []


def test_custom_message_and_present_condition():
    rules = selfcheck.parse_rules(
        [
            {
                "id": "r",
                "kind": "required_if",
                "field": "b",
                "if": {"field": "a", "present": True},
                "message": "say b",
            }
        ]
    )
    assert selfcheck.check(rules, {"a": "x"})[0].message == "say b"
    assert selfcheck.check(rules, {"a": ""}) == []


def test_checklist():
    items = selfcheck.parse_checklist(
        [{"id": "read", "text": "I read the whole text"}, {"id": "opt", "required": False}]
    )
    assert selfcheck.unticked(items, None) == ["read"]
    assert selfcheck.unticked(items, ["read"]) == []
    with pytest.raises(ValidationFailed) as err:
        selfcheck.parse_checklist([{"id": "a"}, {"id": "a"}])
    assert err.value.field == "checklist[1].id"
