"""Forecast arithmetic on a simulated team, load flags, shifts and weekly schedules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from labelcrew.domain.teamops import planning
from labelcrew.domain.teamops.planning import MemberLoad, MemberRate, WorkUnit

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_remaining_labels_counts_only_missing_labels():
    assert planning.remaining_labels([(3, 1), (2, 2), (1, 0), (2, 5)]) == 2 + 0 + 1 + 0


def test_median_seconds_and_default():
    assert planning.seconds_per_label([30_000, 40_000, 3_600_000], 60.0) == 40.0
    assert planning.seconds_per_label([], 75.0) == 75.0
    assert planning.seconds_per_label([0, -5], 75.0) == 75.0


def test_forecast_on_a_simulated_team():
    """Five annotators with lognormal speeds: the forecast equals the hand computation."""
    rng = np.random.default_rng(3)
    hours = [40, 40, 20, 10, 35]
    members = []
    for i, h in enumerate(hours):
        durations = (rng.lognormal(mean=np.log(45 + 10 * i), sigma=0.4, size=200) * 1000).astype(
            int
        )
        t = planning.seconds_per_label(list(durations), 60.0)
        assert t == pytest.approx(float(np.median(durations)) / 1000.0)
        members.append(MemberRate(i, h, t))
    rate = sum(h / 7 * 3600 / m.seconds_per_label for h, m in zip(hours, members, strict=True))
    assert planning.team_rate(members) == pytest.approx(rate)
    units = [
        WorkUnit("batch:1", 1200, NOW + timedelta(days=2)),
        WorkUnit("batch:2", 3000, NOW + timedelta(days=3)),
        WorkUnit("unbatched", 500, None),
    ]
    project, per = planning.forecast(units, members, NOW, NOW + timedelta(days=30))
    assert per[0].days_needed == pytest.approx(1200 / rate)
    assert per[1].days_needed == pytest.approx(4200 / rate)  # served after batch 1
    assert per[2].days_needed == pytest.approx(4700 / rate)
    assert project.remaining_labels == 4700
    assert project.expected_completion == NOW + timedelta(days=4700 / rate)
    for fc, unit in zip(per[:2], units[:2], strict=True):
        assert fc.late == (fc.expected_completion > unit.deadline)
        assert fc.slack_days == pytest.approx(
            (unit.deadline - fc.expected_completion).total_seconds() / 86400
        )
    assert per[2].late is False and per[2].slack_days is None
    assert project.late is False


def test_forecast_flags_a_missed_deadline_and_no_capacity():
    members = [MemberRate(1, 7.0, 36.0)]  # 1 h/day at 36 s/label = 100 labels/day
    _, per = planning.forecast([WorkUnit("b", 250, NOW + timedelta(days=2))], members, NOW)
    assert per[0].days_needed == pytest.approx(2.5)
    assert per[0].late is True and per[0].slack_days == pytest.approx(-0.5)
    nobody, _ = planning.forecast([WorkUnit("b", 10)], [], NOW, NOW + timedelta(days=1))
    assert nobody.days_needed is None and nobody.late is True
    done, _ = planning.forecast([WorkUnit("b", 0)], [], NOW, NOW + timedelta(days=1))
    assert done.late is False and done.expected_completion == NOW


def test_load_flags():
    busy = MemberLoad(1, 3, 500, 100.0, NOW - timedelta(hours=1), False)
    assert planning.load_flags(busy, NOW, horizon_days=2, absence_hours=24) == ["overloaded"]
    gone = MemberLoad(2, 2, 10, 100.0, NOW - timedelta(hours=30), True)
    assert planning.load_flags(gone, NOW, horizon_days=2, absence_hours=24) == ["absent"]
    on_shift = MemberLoad(2, 2, 10, 100.0, NOW - timedelta(hours=30), False)
    assert planning.load_flags(on_shift, NOW, horizon_days=2, absence_hours=24) == []
    idle_no_work = MemberLoad(3, 0, 0, 0.0, None, True)
    assert planning.load_flags(idle_no_work, NOW, horizon_days=2, absence_hours=24) == []


@pytest.mark.parametrize(
    ("hour", "start", "end", "over"),
    [
        (8, 9, 17, True),
        (9, 9, 17, False),
        (17, 9, 17, True),
        (23, 22, 6, False),
        (3, 22, 6, False),
        (12, 22, 6, True),
        (5, 0, 0, False),
    ],
)
def test_shift_over(hour, start, end, over):
    assert planning.shift_over(hour, start, end) is over


def test_next_weekly():
    monday_9 = datetime(2026, 11, 23, 9, 0)  # a Monday
    assert planning.next_weekly(monday_9, 0, 9) == monday_9 + timedelta(days=7)
    assert planning.next_weekly(monday_9, 4, 17) == datetime(2026, 11, 27, 17, 0)
    assert planning.next_weekly(monday_9 - timedelta(minutes=1), 0, 9) == monday_9
