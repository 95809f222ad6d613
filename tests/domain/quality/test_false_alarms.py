"""Every alert kind the quality engine raises says how often its threshold cries wolf."""

from __future__ import annotations

import pytest

from labelcrew.domain.quality import false_alarms
from labelcrew.domain.quality.drift.alert import ACCURACY_DROP, LABEL_SHIFT
from labelcrew.domain.quality.drift.confusion import CONFUSION_DRIFT, THRESHOLD
from labelcrew.domain.quality.drift.labels import label_shift


def test_every_member_alert_kind_has_its_expected_false_alarms() -> None:
    for kind in (ACCURACY_DROP, LABEL_SHIFT, CONFUSION_DRIFT, "honeypot_miss"):
        found = false_alarms.expected(kind)
        assert found is not None and found["threshold"] and found["source"], kind
    assert false_alarms.expected("agreement") is None  # a level, not a test


def test_the_figures_match_the_tests_they_describe() -> None:
    assert f"{THRESHOLD:g} nats" in false_alarms.table()[CONFUSION_DRIFT]["threshold"]
    assert false_alarms.table()[ACCURACY_DROP]["measured_per_10000_gold"] <= 1.0
    shift = false_alarms.table()[LABEL_SHIFT]
    _, alert = label_shift([0] * 150 + [1] * 50, [0] * 100 + [1] * 100, 2)
    assert alert is not None and alert.details["alpha"] == shift["per_test"]
    honeypot = false_alarms.table()["honeypot_miss"]
    # at 5 % misses, 2 or more of 10: 1 - 0.95^10 - 10 * 0.05 * 0.95^9
    assert honeypot["per_window_at_5pct_misses"] == pytest.approx(0.0861, abs=1e-4)
