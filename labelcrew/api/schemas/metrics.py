"""Response models of the project metrics (`api/routes/metrics.py`: GET .../metrics); the
weekly snapshot's are in `metrics_weekly`."""

from __future__ import annotations

from pydantic import Field

from labelcrew.api.schemas import Out
from labelcrew.api.schemas.review import ReviewStatsOut


class MetricsTimeSummary(Out):
    """Time per item, lease to submit: how many were timed, median, p90 and mean seconds."""

    n: int
    median_s: int | None
    p90_s: int | None
    mean_s: float | None


class MetricsDayLabels(Out):
    """Labels submitted on one UTC day."""

    day: str
    labels: int


class MetricsMemberThroughput(Out):
    """One member's labels over the period, days active and labels per active day."""

    member_id: int
    member: str
    labels: int
    active_days: int
    labels_per_active_day: float


class MetricsThroughput(Out):
    """Labels per day and per member (most first), and the mean per day of the period."""

    per_day: list[MetricsDayLabels]
    per_member: list[MetricsMemberThroughput]
    labels_per_day: float


class MetricsSeriesEntry(Out):
    """The figures of one `group_by` key (a day, week, member, batch or queue); `member` is
    the member's name when grouped by member."""

    key: str
    labels: int
    gold_answers: int
    gold_accuracy: float | None
    overlap_items: int
    disagreed_items: int
    disagreement_rate: float | None
    time_per_item: MetricsTimeSummary
    members_active: int
    member: str | None = None


class MetricsPeriod(Out):
    """A period of UTC days, both ends inclusive (ISO dates)."""

    from_: str = Field(alias="from")
    to: str


class MetricsFilters(Out):
    """The member and batch the figures were limited to (null: all)."""

    member_id: int | None
    batch_id: int | None


class MetricsWip(Out):
    """Live leases now (items held and not submitted yet), by queue and by member."""

    live_leases: int
    by_queue: dict[str, int]
    by_member: dict[str, int]


class MetricsQueueDepth(Out):
    """Open non-gold items now and how many more labels they need."""

    open_items: int
    labels_needed: int


class MetricsAgreementPoint(Out):
    """Krippendorff's alpha as the quality engine recorded it, and over how many ratings."""

    at: str
    alpha: float | None
    ratings: int


class MetricsEscalationLevel(Out):
    """Escalations at one level, by state as the inbox filters them: open (waiting: open or
    escalated), overdue (waiting past the SLA), answered, resolved (by a ruling), and the
    median hours from opening to the answer and to the ruling."""

    open: int
    overdue: int
    answered: int
    resolved: int
    median_hours_to_answer: float | None
    median_hours_to_resolve: float | None


class MetricsEscalations(Out):
    """Escalation figures per level."""

    available: bool
    levels: dict[str, MetricsEscalationLevel]


class MetricsParetoRow(Out):
    """One cause of errors in a Pareto table: its count, share and cumulative share."""

    key: str
    count: int
    share: float | None
    cumulative: float | None


class MetricsPareto(Out):
    """Pareto tables of errors by tag, rule, label and member."""

    by_tag: list[MetricsParetoRow]
    by_rule: list[MetricsParetoRow]
    by_label: list[MetricsParetoRow]
    by_member: list[MetricsParetoRow]


class MetricsReview(Out):
    """Figures from the review capability: its stats, the correction rate, Pareto tables."""

    available: bool
    stats: ReviewStatsOut  # the review capability's own figures (api/schemas/review.py)
    correction_rate: float | None
    pareto: MetricsPareto


class ProjectMetricsOut(Out):
    """Every metric of a project over a period: totals, time per item by queue, throughput,
    one series entry per group key, WIP and queue depth now, agreement, escalations, review."""

    labels: int
    gold_answers: int
    gold_accuracy: float | None
    overlap_items: int
    disagreed_items: int
    disagreement_rate: float | None
    time_per_item: MetricsTimeSummary
    time_by_queue: dict[str, MetricsTimeSummary]
    members_active: int
    throughput: MetricsThroughput
    series: list[MetricsSeriesEntry]
    project_id: int
    period: MetricsPeriod
    group_by: str | None
    filters: MetricsFilters
    primary_field: str | None
    source: str
    wip: MetricsWip
    queue_depth: MetricsQueueDepth
    agreement: list[MetricsAgreementPoint]
    escalations: MetricsEscalations
    review: MetricsReview
