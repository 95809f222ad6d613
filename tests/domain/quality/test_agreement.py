"""summarize() and factorize(): the plain-dict view of every measure."""

from __future__ import annotations

import json

import numpy as np
import pytest

from labelcrew.domain.quality.agreement.summary import (
    AgreementThresholds,
    factorize,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
    summarize,
)
from labelcrew.errors import ValidationFailed

ITEM = ["q1", "q1", "q1", "q2", "q2", "q2", "q3", "q3", "q4", "q4", "q4"]
RATER = ["a", "b", "c", "a", "b", "c", "a", "b", "a", "b", "c"]
VALUE = [1, 1, 2, 3, 3, 3, 2, 2, 1, 2, 1]


def test_factorize_sorted_and_ordered() -> None:
    codes, categories = factorize(["mid", "low", "mid", "high"])
    assert categories.tolist() == ["high", "low", "mid"]
    assert categories[codes].tolist() == ["mid", "low", "mid", "high"]
    codes, categories = factorize(["mid", "low", "high"], order=["low", "mid", "high"])
    assert codes.tolist() == [1, 0, 2]
    with pytest.raises(ValidationFailed) as error:
        factorize(["low", "huge"], order=["low", "mid"])
    assert "row 1" in error.value.message


def test_summarize_reports_every_measure() -> None:
    summary = summarize(ITEM, RATER, VALUE, level="interval")
    assert summary["counts"] == {
        "ratings": 11,
        "items": 4,
        "raters": 3,
        "pairable_items": 4,
        "categories": 3,
    }
    assert summary["alpha"]["nominal"] == pytest.approx(krippendorff_alpha(ITEM, VALUE))
    assert summary["alpha"]["interval"] == pytest.approx(
        krippendorff_alpha(ITEM, VALUE, "interval")
    )
    assert summary["fleiss_kappa"] == pytest.approx(fleiss_kappa(ITEM, VALUE))
    assert summary["percent_agreement"] == pytest.approx(percent_agreement(ITEM, VALUE))
    assert {p["rater_a"] + p["rater_b"] for p in summary["cohen_kappa"]["pairs"]} == {
        "ab",
        "ac",
        "bc",
    }
    assert [row["label"] for row in summary["per_label"]] == [1, 2, 3]
    assert summary["levels"]["alpha"] == AgreementThresholds().classify(
        summary["alpha"]["interval"]
    )
    json.dumps(summary, allow_nan=False)  # plain, JSON-ready


def test_summarize_of_nothing_is_all_none() -> None:
    summary = summarize([], [], [])
    assert summary["counts"]["ratings"] == 0
    assert summary["alpha"]["nominal"] is None
    assert summary["fleiss_kappa"] is None
    assert summary["cohen_kappa"]["mean"] is None
    assert summary["levels"] == {"alpha": None, "fleiss_kappa": None, "cohen_kappa_mean": None}
    json.dumps(summary, allow_nan=False)


def test_summarize_single_rater_and_unanimous_data() -> None:
    single = summarize(["x", "y"], ["a", "a"], ["p", "q"])
    assert single["alpha"]["nominal"] is None and single["counts"]["pairable_items"] == 0
    unanimous = summarize(["x", "x", "y", "y"], ["a", "b", "a", "b"], ["p"] * 4)
    assert unanimous["percent_agreement"] == 1.0
    assert unanimous["alpha"]["nominal"] is None  # no variation: alpha undefined


def test_summarize_rejects_a_bad_level() -> None:
    with pytest.raises(ValidationFailed) as error:
        summarize(ITEM, RATER, VALUE, level="cardinal")
    assert error.value.field == "level"


def test_summarize_uses_custom_thresholds() -> None:
    strict = summarize(ITEM, RATER, np.array(VALUE), thresholds=AgreementThresholds(0.99, 0.98))
    assert strict["thresholds"] == {"strong": 0.99, "warning": 0.98}
    assert strict["levels"]["alpha"] == "warning"
