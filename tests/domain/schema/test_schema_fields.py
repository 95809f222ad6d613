"""Values of the choice, rating, ranking and text kinds: accepted, normalised, rejected by path."""

from __future__ import annotations

from typing import Any

import pytest

from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.errors import ValidationFailed


def one_field(**definition: Any) -> LabelSchema:
    return LabelSchema.parse({"fields": [{"name": "f", **definition}]})


def rejected(schema: LabelSchema, value: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        schema.validate({"f": value})
    assert caught.value.code == "invalid_value"
    assert caught.value.message.startswith(f"{caught.value.field}: ")
    return caught.value


CHOICE = one_field(kind="single_choice", options=["cat", "dog"])
MULTI = one_field(kind="multi_choice", options=["a", "b", "c", "d"], min_selected=1, max_selected=2)
RATING = one_field(kind="rating", min=1, max=5, step=1)
HALVES = one_field(kind="rating", min=0, max=1, step=0.1)
SLIDER = one_field(kind="rating", min=0, max=100)
PAIR = one_field(kind="ranking", candidates=2)
RANK = one_field(kind="ranking", candidates=3)
TIES = one_field(kind="ranking", candidates=3, allow_ties=True)
TEXT = one_field(kind="text", min_length=2, max_length=5)


@pytest.mark.parametrize(
    ("schema", "value", "expected"),
    [
        (CHOICE, "dog", "dog"),
        (MULTI, ["c", "a"], ["a", "c"]),
        (MULTI, ("b",), ["b"]),
        (RATING, 3, 3),
        (RATING, 3.0, 3),
        (HALVES, 0.3, 0.3),
        (HALVES, 1, 1.0),
        (SLIDER, 33.3, 33.3),
        (SLIDER, 7, 7),
        (PAIR, [1, 0], [1, 0]),
        (RANK, [2, 0, 1], [2, 0, 1]),
        (TIES, [[2, 0], [1]], [[0, 2], [1]]),
        (TIES, [1, [2, 0]], [[1], [0, 2]]),
        (TIES, [[0, 1, 2]], [[0, 1, 2]]),
        (TEXT, " hi ", " hi "),
    ],
)
def test_valid_values_are_normalised(schema: LabelSchema, value: Any, expected: Any) -> None:
    result = schema.validate({"f": value})["f"]
    assert result == expected
    assert type(result) is type(expected)


def test_rating_on_a_fractional_grid_loses_float_noise() -> None:
    assert HALVES.validate({"f": 0.1 + 0.2})["f"] == 0.3
    assert HALVES.validate({"f": 0.7000000000000001})["f"] == 0.7


@pytest.mark.parametrize(
    ("schema", "value", "path", "words"),
    [
        (CHOICE, "bird", "f", "'bird' is not one of ['cat', 'dog']"),
        (CHOICE, 1, "f", "must be one of"),
        (CHOICE, ["cat"], "f", "must be one of"),
        (MULTI, "a", "f", "must be a list, not string"),
        (MULTI, ["a", "z"], "f[1]", "'z' is not one of"),
        (MULTI, ["a", "a"], "f[1]", "selected twice"),
        (MULTI, [], "f", "at least 1"),
        (MULTI, ["a", "b", "c"], "f", "at most 2"),
        (RATING, 6, "f", "6 is outside [1, 5]"),
        (RATING, 0, "f", "outside"),
        (RATING, 2.5, "f", "not on the scale"),
        (RATING, True, "f", "must be a number"),
        (RATING, "3", "f", "must be a number"),
        (RATING, float("nan"), "f", "must be a number"),
        (HALVES, 0.25, "f", "not on the scale"),
        (PAIR, [0], "f", "missing [1]"),
        (PAIR, [0, 0], "f[1]", "appears twice"),
        (PAIR, [0, 2], "f[1]", "not a candidate index in 0..1"),
        (PAIR, [0, True], "f[1]", "not a candidate index"),
        (PAIR, "0,1", "f", "must be a list"),
        (RANK, [[0, 1], 2], "f[0]", "not a candidate index"),
        (TIES, [[0], []], "f[1]", "cannot be empty"),
        (TIES, [[0, 1], [1, 2]], "f[1][0]", "appears twice"),
        (TIES, [[0, 1]], "f", "missing [2]"),
        (TEXT, "x", "f", "at least 2"),
        (TEXT, "toolong", "f", "at most 5"),
        (TEXT, 12, "f", "must be a string"),
    ],
)
def test_invalid_values_name_their_path(
    schema: LabelSchema, value: Any, path: str, words: str
) -> None:
    error = rejected(schema, value)
    assert error.field == path
    assert words in error.message


def test_agreement_values_are_hashable_canonical_forms() -> None:
    assert CHOICE.agreement_value("f", "cat") == "cat"
    assert MULTI.agreement_value("f", ["b", "a"]) == MULTI.agreement_value("f", ["a", "b"])
    assert MULTI.agreement_value("f", ["a"]) == frozenset({"a"})
    assert RATING.agreement_value("f", 4.0) == 4
    assert HALVES.agreement_value("f", 0.1 + 0.2) == HALVES.agreement_value("f", 0.3)
    assert RANK.agreement_value("f", [2, 0, 1]) == (2, 0, 1)
    assert TIES.agreement_value("f", [[2, 0], [1]]) == ((0, 2), (1,))
    assert TIES.agreement_value("f", [1, [0, 2]]) == ((1,), (0, 2))
    assert TEXT.agreement_value("f", "  same \n") == "same"
    for schema, value in ((MULTI, ["a"]), (RANK, [0, 1, 2]), (TIES, [[0, 1], [2]])):
        hash(schema.agreement_value("f", value))


def test_gold_checks_compare_canonical_forms() -> None:
    assert MULTI.is_correct("f", ["b", "a"], ["a", "b"])
    assert not MULTI.is_correct("f", ["a"], ["a", "b"])
    assert RANK.is_correct("f", [2, 0, 1], [2, 0, 1])
    assert not RANK.is_correct("f", [0, 2, 1], [2, 0, 1])
    assert TEXT.is_correct("f", "yes ", "yes")
    assert not TEXT.is_correct("f", "Yes", "yes")
    assert RATING.is_correct("f", 3.0, 3)
