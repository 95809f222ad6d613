"""Disputed gold answers, by hand: a strong crowd that agrees on another answer disputes the gold
answer, a careless crowd or too few answers do not, and only the fields the gold answer sets
(and the crowd gets wrong) are in dispute."""

from __future__ import annotations

from labelcrew.domain.quality.gold_disputes import (
    CONSENSUS,
    REVIEW,
    accuracy_elsewhere,
    dispute_of,
)
from labelcrew.domain.schema.label_schema import LabelSchema

SCHEMA = LabelSchema.parse(
    {
        "fields": [
            {
                "name": "sentiment",
                "kind": "single_choice",
                "options": ["positive", "negative", "neutral"],
            },
            {"name": "tags", "kind": "multi_choice", "options": ["a", "b", "c"]},
            {"name": "note", "kind": "text", "required": False},
        ]
    }
)
GOLD = {"sentiment": "neutral"}
STRONG = {f"m{i}": 0.9 for i in range(10)}


def _answers(given: list[str], gold: str = "neutral") -> list[tuple[str, dict[str, str], bool]]:
    return [(f"m{i}", {"sentiment": g, "note": f"n{i}"}, g == gold) for i, g in enumerate(given)]


def test_a_strong_crowd_agreeing_on_another_answer_disputes_the_gold_answer() -> None:
    answers = _answers(["negative"] * 6 + ["neutral"])
    dispute = dispute_of(GOLD, answers, STRONG, SCHEMA)
    assert dispute is not None
    assert dispute.kind == CONSENSUS and dispute.fields == ("sentiment",)
    assert dispute.gold == {"sentiment": "neutral"} and dispute.crowd == {"sentiment": "negative"}
    assert (dispute.answers, dispute.wrong, dispute.agreeing) == (7, 6, 6)
    assert dispute.accuracy == {f"m{i}": 0.9 for i in range(6)}
    assert dispute.reviewers == ()
    assert dispute.to_dict()["counts"] == {"answers": 7, "wrong": 6, "agreeing": 6}


def test_wrong_answers_that_split_do_not_dispute() -> None:
    answers = _answers(["negative"] * 3 + ["positive"] * 3)
    assert dispute_of(GOLD, answers, STRONG, SCHEMA) is None


def test_careless_members_cannot_dispute_gold() -> None:
    answers = _answers(["negative"] * 6)
    careless = {f"m{i}": 0.6 for i in range(6)}
    assert dispute_of(GOLD, answers, careless, SCHEMA) is None
    # members without another gold answer have no accuracy and do not count either
    assert dispute_of(GOLD, answers, {}, SCHEMA) is None
    # two careless members in the crowd leave 4 of 6 credible agreeing: below 0.8
    mixed = {**STRONG, "m0": 0.5, "m1": 0.79}
    assert dispute_of(GOLD, answers, mixed, SCHEMA) is None
    assert dispute_of(GOLD, answers, mixed, SCHEMA, share=0.6) is not None


def test_below_min_answers_there_is_no_consensus_dispute() -> None:
    answers = _answers(["negative"] * 4)
    assert dispute_of(GOLD, answers, STRONG, SCHEMA) is None
    assert dispute_of(GOLD, answers, STRONG, SCHEMA, min_answers=4) is not None


def test_multi_field_gold_disputes_only_the_field_the_crowd_gets_wrong() -> None:
    gold = {"sentiment": "neutral", "tags": ["a", "b"]}
    answers = [
        (f"m{i}", {"sentiment": "negative", "tags": ["b", "a"] if i % 2 else ["a", "b"]}, False)
        for i in range(5)
    ]
    dispute = dispute_of(gold, answers, STRONG, SCHEMA)
    assert dispute is not None  # tag order does not matter: the five agree
    assert dispute.fields == ("sentiment",)
    assert dispute.gold == {"sentiment": "neutral"} and dispute.crowd == {"sentiment": "negative"}


def test_a_partial_gold_answer_compares_only_its_own_fields() -> None:
    # gold sets only the tags; the crowd's sentiments and notes differ and do not matter
    gold = {"tags": ["c"]}
    answers = [
        (
            f"m{i}",
            {"sentiment": ["positive", "negative"][i % 2], "tags": ["a"], "note": str(i)},
            False,
        )
        for i in range(5)
    ]
    dispute = dispute_of(gold, answers, STRONG, SCHEMA)
    assert dispute is not None
    assert dispute.fields == ("tags",) and dispute.crowd == {"tags": ["a"]}
    # a gold field the schema no longer has is not compared
    assert dispute_of({"gone": 1}, answers, STRONG, SCHEMA) is None


def test_a_reviewer_accepting_a_wrong_answer_disputes_the_gold_answer() -> None:
    answers = _answers(["negative", "neutral", "neutral", "neutral"])
    accepted = [("lead", {"sentiment": "negative"}), ("lead", {"sentiment": "negative"})]
    dispute = dispute_of(GOLD, answers, STRONG, SCHEMA, accepted=accepted)
    assert dispute is not None
    assert dispute.kind == REVIEW and dispute.reviewers == ("lead",)
    assert dispute.crowd == {"sentiment": "negative"}
    assert (dispute.answers, dispute.wrong, dispute.agreeing) == (4, 1, 1)
    # an accepted answer that is right on every gold field is no dispute
    assert dispute_of(GOLD, answers, STRONG, SCHEMA, accepted=[("r", GOLD)]) is None


def test_accuracy_elsewhere_leaves_this_item_out() -> None:
    totals = {"a": (9, 10), "b": (0, 1), "c": (4, 5)}
    answers = [("a", {}, True), ("b", {}, False), ("c", {}, False)]
    assert accuracy_elsewhere(totals, answers) == {"a": 8 / 9, "c": 1.0}
