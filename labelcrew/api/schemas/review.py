"""Response models of `api/routes/review.py`: review tasks and leases, reviews, flags, the
backlog sampling, the review figures, an annotator's own feedback, the error taxonomy and the
feedback settings."""

from __future__ import annotations

from typing import Any

from labelcrew.api.schemas import Out


class ReviewReasonOut(Out):
    """Why an item is in the review queue: a flag, a gold miss, a disagreement or an audit."""

    kind: str
    annotation_id: int | None = None
    annotator_id: int | None = None
    reason: str | None = None
    senior: bool | None = None
    at: str | None = None


class ReviewTaskOut(Out):
    """A review task: an item waiting for (or under) review, with every reason it was queued."""

    id: int
    item_id: int
    state: str
    priority: int
    reasons: list[ReviewReasonOut]
    reviewer_id: int | None
    leased_at: str | None
    expires_at: str | None
    created_at: str
    done_at: str | None


class ReviewLeaseItemOut(Out):
    """The item under review, its payload masked for the reviewer's roles."""

    id: int
    external_id: str
    payload: dict[str, Any]


class ReviewLeaseLabelOut(Out):
    """One live label of the item under review, with its annotator."""

    annotation_id: int
    annotator_id: int
    annotator: str
    value: dict[str, Any]
    guideline_version: int | None
    created_at: str
    reviewed: str | None = None  # this round's verdict on it; null while it awaits review


class ReviewGoldOut(Out):
    """The answer key of a gold item under review."""

    value: dict[str, Any]
    rule: str | None


class ReviewLeaseOut(Out):
    """A review lease: the task, the item, its live labels and, for a gold item, its answer."""

    task: ReviewTaskOut
    item: ReviewLeaseItemOut
    annotations: list[ReviewLeaseLabelOut]
    gold: ReviewGoldOut | None
    schema_version: int | None
    guideline_version: int | None


class ReviewOut(Out):
    """A reviewer's verdict on one annotation."""

    id: int
    item_id: int
    annotation_id: int
    annotator_id: int
    reviewer_id: int
    verdict: str
    corrected_value: dict[str, Any] | None
    error_tags: list[str]
    rule_refs: list[str]
    comment: str
    guideline_version: int | None
    created_at: str


class ReviewWarningOut(Out):
    """A warning about recorded feedback (it cites no rule, or a rule that does not exist)."""

    code: str
    message: str


class ReviewTaskProgressOut(Out):
    """The item's review task after a review: done once no live label awaits review."""

    id: int
    state: str
    remaining_annotations: list[int]


class ReviewRecordedOut(Out):
    """A recorded review, its warnings and where the item's review task stands."""

    review: ReviewOut
    warnings: list[ReviewWarningOut]
    task: ReviewTaskProgressOut


class FlagOut(Out):
    """A flagged item: its review priority and the caller's own flags on it."""

    item_id: int
    priority: int
    reasons: list[ReviewReasonOut]


class BacklogSampleOut(Out):
    """What sampling the never-reviewed labels queued, by reason, and the open tasks now."""

    items_considered: int
    queued: dict[str, int]
    open_tasks: int


class ReviewStatsAnnotatorRow(Out):
    """Review figures of one annotator's labels."""

    annotator_id: int
    username: str
    reviews: int
    accepted: int
    corrected: int
    rejected: int
    correction_rate: float | None
    tags: dict[str, int]


class ReviewStatsLabelRow(Out):
    """Review figures of the labels with one primary-field value ("" without such a field)."""

    label: str
    reviews: int
    accepted: int
    corrected: int
    rejected: int
    correction_rate: float | None
    tags: dict[str, int]


class ReviewStatsRuleRow(Out):
    """Review figures of the reviews citing one rule."""

    rule: str
    reviews: int
    accepted: int
    corrected: int
    rejected: int
    correction_rate: float | None
    tags: dict[str, int]


class ReviewStatsOut(Out):
    """Review figures over a period: totals, error counts for Pareto charts, and per-row tables."""

    project_id: int
    since: str | None
    until: str | None
    reviews: int
    accepted: int
    corrected: int
    rejected: int
    correction_rate: float | None
    tags: dict[str, int]
    by_tag: dict[str, int]
    by_rule: dict[str, int]
    by_label: dict[str, int]
    by_member: dict[str, int]
    per_annotator: list[ReviewStatsAnnotatorRow]
    per_label: list[ReviewStatsLabelRow]
    per_rule: list[ReviewStatsRuleRow]


class FeedbackTagOut(Out):
    """An error tag on a review of the caller's label, with its name."""

    code: str
    name: str


class FeedbackRuleOut(Out):
    """A rule cited by a review, with its text in the guideline version it was made under."""

    number: str
    title: str
    text: str | None


class MyFeedbackOut(Out):
    """A review of the caller's own label: the verdict, the corrected fields, tags and rules."""

    id: int
    item_id: int
    annotation_id: int
    annotator_id: int
    reviewer_id: int
    verdict: str
    error_tags: list[FeedbackTagOut]
    rule_refs: list[str]
    comment: str
    guideline_version: int | None
    created_at: str
    corrected_fields: list[str]
    your_value: dict[str, Any]
    reviewer: str
    rules: list[FeedbackRuleOut]


class ErrorTagOut(Out):
    """An entry of the project's error taxonomy (retired tags stay inactive)."""

    code: str
    name: str
    description: str
    active: bool


class ReviewPolicyOut(Out):
    """Which items enter the review queue: audit rates, disagreements, gold misses, flags."""

    audit_rate: float
    probation_audit_rate: float
    disagreement: bool
    gold_miss: bool
    flags: bool


class FeedbackSettingsOut(Out):
    """The project's feedback settings: review policy, escalation SLAs, ticket limit."""

    review_policy: ReviewPolicyOut
    escalation_sla_hours: dict[str, float]
    max_open_tickets_per_reviewer: int
