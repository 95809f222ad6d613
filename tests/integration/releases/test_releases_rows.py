"""The pure release rules (`labelcrew.domain.releases.rows`) on plain values, no database."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from labelcrew.domain.releases.rows import (
    ReleaseInput,
    StoredLabel,
    build_rows,
    content_hash,
    diff_rows,
)
from labelcrew.domain.schema.label_schema import LabelSchema

OPTIONS = ("positive", "negative", "neutral")
SCHEMA = LabelSchema.parse(
    {
        "fields": [
            {"name": "sentiment", "kind": "single_choice", "options": list(OPTIONS)},
            {"name": "note", "kind": "text", "required": False},
        ]
    }
)


def _data(labels: list[tuple[int, int, str | None, bool]], **extra) -> ReleaseInput:
    return ReleaseInput(
        items=[(i, f"x{i}", {"text": f"t{i}"}) for i in range(1, 6)],
        labels=[
            StoredLabel(n, item, who, {"sentiment": value, "note": f"n{n}"}, 1, 1, live)
            for n, (item, who, value, live) in enumerate(labels, start=1)
        ],
        corrections=extra.get("corrections", {}),
        gold=extra.get("gold", {}),
        schema=SCHEMA,
        field="sentiment",
        categories=OPTIONS,
    )


def test_rules_on_plain_values():
    data = _data(
        [
            (1, 1, "negative", True),
            (1, 2, "positive", True),
            (1, 3, "positive", True),
            (2, 1, "neutral", False),
            (3, 1, "neutral", True),
            (3, 2, "positive", True),
            (4, 1, None, True),
        ],
        corrections={3: {"sentiment": "negative"}},
    )
    rows, methods = build_rows(data, method="mv", min_confidence=None)
    by_id = {r["item_id"]: r for r in rows}
    assert methods == {"sentiment": "MajorityVote", "note": "no_vote"}
    # Free text is never voted on: three different notes give no note, and all three are kept.
    assert by_id[1]["label"] == "positive" and by_id[1]["value"]["note"] is None
    assert by_id[1]["fields"]["note"]["detail"] == {"values": ["n1", "n2", "n3"]}
    assert [a["annotator_id"] for a in by_id[1]["annotations"]] == [1, 2, 3]
    assert by_id[2]["reason"] == "only_superseded_labels"
    # A correction wins over a tied vote; no annotator agreed, so the other fields are None.
    assert (by_id[3]["source"], by_id[3]["label"], by_id[3]["value"]) == (
        "review",
        "negative",
        {"sentiment": "negative", "note": None},
    )
    assert by_id[4]["reason"] == "no_primary_value" and by_id[5]["reason"] == "no_labels"
    strict, _ = build_rows(data, method="mv", min_confidence=0.7)
    assert {r["item_id"]: r["reason"] for r in strict}[1] == "below_min_confidence"


def test_hash_ignores_key_and_row_order_but_not_content():
    rows, _ = build_rows(
        _data([(1, 1, "positive", True), (2, 1, "negative", True)]),
        method="mv",
        min_confidence=None,
    )
    definition = {"field": "sentiment", "method": "mv"}
    digest = content_hash(definition, rows)
    shuffled = [dict(reversed(list(r.items()))) for r in reversed(rows)]
    assert content_hash(dict(reversed(list(definition.items()))), shuffled) == digest
    assert content_hash({**definition, "method": "ds"}, rows) != digest
    changed = [dict(rows[0], confidence=0.5), rows[1]]
    assert content_hash(definition, changed) != digest


# No deadline: the machine running the suite is shared and its timing says nothing here.
@settings(deadline=None, max_examples=60)
@given(
    st.lists(st.tuples(st.integers(1, 5), st.integers(1, 4), st.sampled_from(OPTIONS)), max_size=25)
)
def test_every_item_is_either_released_or_excluded_with_a_reason(answers):
    seen: set[tuple[int, int]] = set()
    labels = []
    for item, who, value in answers:
        if (item, who) not in seen:  # one live label per annotator and item, as the index says
            seen.add((item, who))
            labels.append((item, who, value, True))
    for method in ("mv", "ds"):
        rows, _ = build_rows(_data(labels), method=method, min_confidence=0.6)
        assert [r["item_id"] for r in rows] == [1, 2, 3, 4, 5]
        for r in rows:
            assert r["included"] == (r["reason"] is None)
            assert r["n_labels"] == sum(r["votes"].values())
            if r["included"]:
                assert r["confidence"] >= 0.6 and r["value"]["sentiment"] == r["label"]
        assert diff_rows(rows, rows)["counts"] == {
            "added": 0,
            "removed": 0,
            "changed": 0,
            "confidence_changed": 0,
        }
