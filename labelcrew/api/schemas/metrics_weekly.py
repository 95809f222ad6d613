"""Response models of the weekly snapshot (`api/routes/metrics.py`: .../reports/weekly)."""

from __future__ import annotations

from typing import Any

from labelcrew.api.schemas import Out
from labelcrew.api.schemas.metrics import (
    MetricsDayLabels,
    MetricsEscalations,
    MetricsMemberThroughput,
    MetricsParetoRow,
    MetricsPeriod,
    MetricsTimeSummary,
)


class WeeklyProjectRef(Out):
    """The project a weekly snapshot is of."""

    id: int
    slug: str
    name: str


class WeeklyBatchPriority(Out):
    """An unfinished batch: state, owner, deadline, handoff note and (staff only) how many
    items are still open."""

    batch: str
    state: str
    owner: str | None
    deadline: str | None
    open_items: int | None = None
    handoff_note: str


class WeeklyPriorities(Out):
    """The lead's priority notes and the unfinished batches, soonest deadline first; staff
    also see the open items outside any batch."""

    notes: list[str]
    batches: list[WeeklyBatchPriority]
    unbatched_open_items: int | None = None


class WeeklyThroughput(Out):
    """The week's labels against last week's, members active, per day and per member (a
    non-lead sees only their own member row)."""

    labels: int
    last_week: int
    members_active: int
    per_day: list[MetricsDayLabels]
    per_member: list[MetricsMemberThroughput]


class WeeklyQualityLine(Out):
    """One quality figure this week and last, its arrow, and whether it moved the right way
    (null: unchanged, unknown, or neither way is better)."""

    metric: str
    label: str
    this_week: int | float | None
    last_week: int | float | None
    arrow: str
    better: bool | None
    unit: str


class WeeklyAlert(Out):
    """A drift or agreement alert open during the week or updated in it."""

    kind: str
    subject: str
    message: str
    state: str
    severity: str
    raised: str


class WeeklyGuidelineChange(Out):
    """A guideline version published during the week."""

    version: int
    title: str
    changelog: str
    published_at: str | None
    published_by: str | None


class WeeklyExample(Out):
    """A top-quality example of a member's: an item on which every live label agrees. Which
    item it is (id, external id, excerpt) is left out for readers without item access."""

    member_id: int
    member: str
    item_id: int | None = None
    external_id: str | None = None
    label: Any
    agreed: int
    excerpt: str | None = None
    why: str


class WeeklyMemberTrend(Out):
    """A member's labels, gold accuracy and agreement with the consensus per week (oldest
    first), and the latest direction: improving, steady, declining (null: too little data)."""

    member_id: int
    member: str
    weeks: list[str]
    labels: list[int]
    gold_accuracy: list[float | None]
    agreement: list[float | None]
    trend: str | None


class WeeklyTeamTrend(Out):
    """The team's agreement with the consensus per week (oldest first)."""

    weeks: list[str]
    agreement: list[float | None]


class WeeklyFieldAgreement(Out):
    """One schema field's agreement (by its kind's measure) this week and the week before;
    None when no item was labelled by two members in that week."""

    field: str
    kind: str
    measure: str
    this_week: float | None
    last_week: float | None
    items: int


class WeeklySnapshotOut(Out):
    """The weekly snapshot of a project: priorities, throughput, quality against last week,
    alerts, error tags, escalations, guideline changes, examples and member trends. A lead
    sees every member; anyone else the team and their own (`visibility`)."""

    project: WeeklyProjectRef
    week: str
    period: MetricsPeriod
    previous_week: str
    priorities: WeeklyPriorities
    throughput: WeeklyThroughput
    quality: list[WeeklyQualityLine]
    field_agreement: list[WeeklyFieldAgreement]
    time_by_queue: dict[str, MetricsTimeSummary]
    alerts: list[WeeklyAlert]
    error_tags: list[MetricsParetoRow]
    review_available: bool
    escalations: MetricsEscalations
    guideline_changes: list[WeeklyGuidelineChange]
    examples: list[WeeklyExample]
    members: list[WeeklyMemberTrend]
    team_trend: WeeklyTeamTrend
    visibility: str


class WeeklyPublishedOut(Out):
    """A published weekly report; `created` is false when the week was published before."""

    id: int
    week: str
    created: bool
