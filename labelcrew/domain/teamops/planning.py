"""Workload planning: remaining work, measured speed and available capacity give an expected
completion time, which is compared with the deadline (the SLA).

The forecast is plain queueing arithmetic (Little's law for a deterministic service rate)::

    remaining labels      R = sum over open items of max(0, overlap_target - annotation_count)
    member m's rate       r_m = (h_m / 7 * 3600) / t_m    labels per calendar day
                                  h_m: weekly hours, t_m: median seconds per label
    team rate             r = sum_m r_m
    days needed           d = R / r
    expected completion   now + d days;  late when it falls after the deadline

Batches are forecast in the order the queue serves them (priority, then id): batch k finishes
when the team has done the remaining labels of batches 1..k, so a late batch shows which
deadline the current priorities will miss. Load flags (overload, absence) are here too.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

SECONDS_PER_DAY = 86400.0
DEFAULT_SECONDS_PER_LABEL = 60.0
DEFAULT_WEEKLY_HOURS = 20.0


@dataclass(frozen=True)
class MemberRate:
    """One annotator's capacity: weekly hours and measured median seconds per label."""

    user_id: int
    weekly_hours: float
    seconds_per_label: float

    @property
    def labels_per_day(self) -> float:
        if self.weekly_hours <= 0 or self.seconds_per_label <= 0:
            return 0.0
        return self.weekly_hours / 7.0 * 3600.0 / self.seconds_per_label


@dataclass(frozen=True)
class WorkUnit:
    """A batch (or the unbatched rest) with its remaining labels and deadline."""

    key: str
    remaining_labels: int
    deadline: datetime | None = None


@dataclass(frozen=True)
class Forecast:
    key: str
    remaining_labels: int
    days_needed: float | None  # None: no capacity at all
    expected_completion: datetime | None
    deadline: datetime | None
    late: bool
    slack_days: float | None

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "remaining_labels": self.remaining_labels,
            "days_needed": None if self.days_needed is None else round(self.days_needed, 3),
            "expected_completion": _iso(self.expected_completion),
            "deadline": _iso(self.deadline),
            "late": self.late,
            "slack_days": None if self.slack_days is None else round(self.slack_days, 3),
        }


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def remaining_labels(items: Sequence[tuple[int, int]]) -> int:
    """R: labels still needed over (overlap_target, annotation_count) pairs of open items."""
    return sum(max(0, target - count) for target, count in items)


def seconds_per_label(durations_ms: Sequence[int], default: float) -> float:
    """t_m: the median duration (robust to a lease left open over lunch), or the default."""
    clean = [d for d in durations_ms if d is not None and d > 0]
    if not clean:
        return default
    return float(statistics.median(clean)) / 1000.0


def team_rate(members: Sequence[MemberRate]) -> float:
    return sum(m.labels_per_day for m in members)


def _forecast(
    key: str,
    remaining: int,
    done_before: int,
    rate: float,
    now: datetime,
    deadline: datetime | None,
) -> Forecast:
    if remaining == 0:
        return Forecast(key, 0, 0.0, now, deadline, False, _slack(now, now, deadline))
    if rate <= 0:
        return Forecast(key, remaining, None, None, deadline, deadline is not None, None)
    days = (done_before + remaining) / rate
    finish = now + timedelta(days=days)
    late = deadline is not None and finish > deadline
    return Forecast(key, remaining, days, finish, deadline, late, _slack(finish, now, deadline))


def _slack(finish: datetime, now: datetime, deadline: datetime | None) -> float | None:
    if deadline is None:
        return None
    return (deadline - finish).total_seconds() / SECONDS_PER_DAY


def forecast(
    units: Sequence[WorkUnit],
    members: Sequence[MemberRate],
    now: datetime,
    project_deadline: datetime | None = None,
) -> tuple[Forecast, list[Forecast]]:
    """The project forecast and one per unit, units taken in the given (queue) order."""
    rate = team_rate(members)
    per_unit: list[Forecast] = []
    done_before = 0
    for unit in units:
        per_unit.append(
            _forecast(unit.key, unit.remaining_labels, done_before, rate, now, unit.deadline)
        )
        done_before += unit.remaining_labels
    project = _forecast("project", done_before, 0, rate, now, project_deadline)
    return project, per_unit


@dataclass(frozen=True)
class MemberLoad:
    """What one annotator holds now, and their capacity."""

    user_id: int
    live_leases: int
    claimed_remaining: int
    labels_per_day: float
    last_submit: datetime | None
    shift_end_passed: bool


def load_flags(
    load: MemberLoad, now: datetime, *, horizon_days: float, absence_hours: float
) -> list[str]:
    """`overloaded`: what they hold exceeds what they can do within the horizon;
    `absent`: they hold work but have not submitted for `absence_hours` and their shift is over
    (so nobody is about to come back to it)."""
    flags = []
    queue = load.live_leases + load.claimed_remaining
    capacity = math.floor(load.labels_per_day * horizon_days)
    if queue > 0 and queue > capacity:
        flags.append("overloaded")
    idle = (
        load.last_submit is None
        or (now - load.last_submit).total_seconds() > absence_hours * 3600.0
    )
    if queue > 0 and idle and load.shift_end_passed:
        flags.append("absent")
    return flags


def shift_over(local_hour: int, shift_start: int, shift_end: int) -> bool:
    """Whether a local hour lies outside the shift [start, end) (shifts may wrap midnight)."""
    if shift_start == shift_end:
        return False  # available around the clock
    if shift_start < shift_end:
        return not shift_start <= local_hour < shift_end
    return shift_end <= local_hour < shift_start


def next_weekly(after_local: datetime, weekday: int, hour: int) -> datetime:
    """The first local moment strictly after `after_local` that falls on weekday (Monday=0) at
    the hour; works on naive or aware datetimes alike (the caller picks the time zone)."""
    candidate = after_local.replace(hour=hour, minute=0, second=0, microsecond=0)
    candidate += timedelta(days=(weekday - candidate.weekday()) % 7)
    if candidate <= after_local:
        candidate += timedelta(days=7)
    return candidate
