"""Agreement levels and crossings."""

from __future__ import annotations

import math

import pytest

from labelcrew.domain.quality.agreement.thresholds import AgreementThresholds, Crossing, crossing
from labelcrew.errors import ValidationFailed


def test_default_levels_and_boundaries() -> None:
    t = AgreementThresholds()
    assert [t.classify(v) for v in (0.95, 0.8, 0.79, 0.6, 0.59, -0.2)] == [
        "strong",
        "strong",
        "acceptable",
        "acceptable",
        "warning",
        "warning",
    ]


def test_thresholds_are_configurable_and_checked() -> None:
    t = AgreementThresholds(strong=0.9, warning=0.7)
    assert t.classify(0.85) == "acceptable"
    assert t.classify(0.65) == "warning"
    with pytest.raises(ValidationFailed):
        AgreementThresholds(strong=0.5, warning=0.6)
    with pytest.raises(ValidationFailed):
        AgreementThresholds(strong=math.nan)


def test_undefined_agreement_has_no_level() -> None:
    t = AgreementThresholds()
    with pytest.raises(ValidationFailed) as error:
        t.classify(math.nan)
    assert error.value.code == "agreement_undefined"
    assert t.classify_or_none(None) is None


def test_crossings() -> None:
    t = AgreementThresholds()
    down = crossing(0.7, 0.55, t)
    assert down == Crossing("acceptable", "warning")
    assert down is not None and down.direction == "down" and str(down) == "acceptable→warning"
    up = crossing(0.5, 0.85, t)
    assert up == Crossing("warning", "strong") and up.direction == "up"
    assert crossing(0.7, 0.75, t) is None
    assert crossing(None, 0.3, t) is None
    assert crossing(0.9, math.nan, t) is None
