"""Response models of the team-operations routes (`api/routes/teamops.py`): capacity and
forecasts, redistribution, handoffs and cost. The settings, self-check and senior-review
models are in `teamops_settings`; priorities, release notes and cadence in `teamops_priorities`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from labelcrew.api.schemas import Out


class TeamMemberRate(Out):
    """A working annotator's weekly hours and measured speed over the planning window."""

    user_id: int
    username: str
    level: str
    skills: dict[str, Any]
    weekly_hours: float
    seconds_per_label: float
    measured_labels: int
    labels_per_day: float


class ForecastOut(Out):
    """Expected completion of the remaining labels against the deadline (ISO times)."""

    key: str
    remaining_labels: int
    days_needed: float | None
    expected_completion: str | None
    deadline: str | None
    late: bool
    slack_days: float | None


class BatchForecastOut(ForecastOut):
    """A batch's forecast in queue order; the `unbatched` rest has no batch fields."""

    batch_id: int | None = None
    name: str | None = None
    state: str | None = None
    owner: str | None = None


class PlanOut(Out):
    """The forecast of the project and of each batch, with the team's measured rates."""

    project_id: int
    now: str
    team: list[TeamMemberRate]
    team_labels_per_day: float
    project: ForecastOut
    batches: list[BatchForecastOut]
    late: list[str]


class MemberLoadRow(Out):
    """What one working annotator holds against their capacity, with load flags."""

    user_id: int
    username: str
    level: str
    live_leases: int
    claimed_remaining: int
    capacity: int
    spare: int
    last_submit: str | None
    timezone: str
    off_shift: bool
    flags: list[str]
    skills: dict[str, Any]


class TeamLoadOut(Out):
    """Each working annotator's load over the redistribution horizon."""

    project_id: int
    now: str
    members: list[MemberLoadRow]


class MemberProfileOut(Out):
    """A member's level, skills, availability (hours, time zone, shift) and pay rates."""

    user_id: int
    username: str
    roles: list[str]
    status: str
    level: str
    skills: dict[str, Any]
    weekly_hours: float | None
    timezone: str
    shift_start: int
    shift_end: int
    hourly_rate: float | None
    item_rate: float | None
    currency: str


class DeadlineOut(Out):
    """The deadline now set on the project or a batch (null: cleared)."""

    entity: Literal["project", "batch"]
    id: int
    deadline: str | None


class MovedBatch(Out):
    """A batch claim moved to another annotator."""

    batch_id: int
    to: int


class MovedLease(Out):
    """A live lease moved to another annotator."""

    item_id: int
    to: int


class RedistributionOut(Out):
    """What one redistribution moved away from a member, and what went back to the pool."""

    batches: list[MovedBatch]
    leases: list[MovedLease]
    returned_to_pool: list[int]
    from_user: int
    reason: str
    items_moved: int


class AutoRedistributionOut(Out):
    """A run of the automatic policy; `budget_left` only when the policy ran."""

    enabled: bool
    moves: list[RedistributionOut]
    budget_left: int | None = None


class TeamopsBatchOut(Out):
    """A batch with its review owner, state, deadline, handoff note and progress."""

    id: int
    name: str
    owner: str | None
    state: str
    deadline: str | None
    handoff_note: str
    items: int
    items_done: int
    progress: float


class HandoffBoardOut(Out):
    """Every batch with its owner, and the almost-done ones nobody owns."""

    batches: list[TeamopsBatchOut]
    almost_done_unowned: list[TeamopsBatchOut]
    threshold: float


class HandoffEntry(Out):
    """One change of a batch's review owner, with its note."""

    from_: str | None = Field(alias="from")
    to: str | None
    note: str
    state: str
    by: str | None
    at: str


class HandoffHistoryOut(Out):
    """A batch's current owner and note, and every handoff so far."""

    batch_id: int
    owner: str | None
    state: str
    handoff_note: str
    history: list[HandoffEntry]


class MemberCostRow(Out):
    """A member's labels, accuracy, speed, rates and cost per accepted label."""

    user_id: int
    username: str | None
    labels: int
    accepted: int
    gold_accuracy: float | None
    gold_answers: int
    median_seconds: float | None
    hourly_rate: float | None
    item_rate: float | None
    cost: float | None
    cost_per_accepted_label: float | None


class BatchCostRow(Out):
    """A batch's labels and cost (null batch: the unbatched items)."""

    batch_id: int | None
    labels: int
    accepted: int
    priced_labels: int
    cost: float | None
    cost_per_accepted_label: float | None


class CostReportOut(Out):
    """Cost per accepted label per member and batch, beside accuracy and speed."""

    project_id: int
    reviews_counted: bool
    members: list[MemberCostRow]
    batches: list[BatchCostRow]
    total_cost: float
    cost_per_accepted_label: float | None
