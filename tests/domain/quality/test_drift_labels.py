"""Label-distribution shift: chi-square test and Jensen-Shannon divergence against the team."""

from __future__ import annotations

import numpy as np
import pytest

from labelcrew.domain.quality.drift.alert import LABEL_SHIFT
from labelcrew.domain.quality.drift.labels import js_divergence, label_shift
from labelcrew.errors import ValidationFailed


def test_js_divergence_bounds() -> None:
    assert js_divergence([1, 2, 3], [2, 4, 6]) == pytest.approx(0.0)
    assert js_divergence([1, 0], [0, 1]) == pytest.approx(1.0)


def test_label_shift_flags_a_shifted_member_with_evidence() -> None:
    rng = np.random.default_rng(5)
    team = rng.choice(3, size=600, p=[0.5, 0.3, 0.2])
    member = rng.choice(3, size=80, p=[0.2, 0.3, 0.5])
    ids = [f"i{k}" for k in range(80)]
    test, alert = label_shift(member, team, 3, start=120, item_ids=ids)
    assert test.p_value < 1e-3 and test.js_divergence > 0.05
    assert alert is not None and alert.kind == LABEL_SHIFT
    assert (alert.start, alert.end) == (120, 199)
    assert alert.details["label"] in (0, 2)
    assert alert.statistic > alert.threshold
    assert alert.item_ids == tuple(ids)


def test_label_shift_needs_a_minimum_sample() -> None:
    test, alert = label_shift([2] * 10, [0] * 300, 3, min_samples=30)
    assert test.p_value < 1e-6
    assert alert is None


def test_label_shift_false_alarm_rate_is_near_alpha() -> None:
    rng = np.random.default_rng(6)
    p = [0.6, 0.25, 0.1, 0.05]
    alerts = sum(
        label_shift(rng.choice(4, 60, p=p), rng.choice(4, 400, p=p), 4, alpha=0.01)[1] is not None
        for _ in range(1000)
    )
    assert alerts <= 25  # expected about 10


def test_label_shift_rejects_labels_outside_the_schema() -> None:
    with pytest.raises(ValidationFailed) as caught:
        label_shift([0, 5], [0, 1], 3)
    assert caught.value.field == "member_labels"
