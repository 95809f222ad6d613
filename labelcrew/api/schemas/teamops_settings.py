"""Response models of the team-operations settings, the annotators' self-check and the
senior-review flag (routes in `api/routes/teamops.py`)."""

from __future__ import annotations

from typing import Any

from labelcrew.api.schemas import Out


class SelfcheckChecklistEntry(Out):
    """A checklist entry an annotator ticks before submitting."""

    id: str
    text: str
    required: bool


class SensitiveFieldRule(Out):
    """A payload field masked or hidden from every role not listed."""

    field: str
    mode: str
    roles: list[str]


class TeamopsRedactionSettings(Out):
    """PII redaction on import: pattern kinds, literal terms, and the fields (null: all)."""

    kinds: list[str]
    terms: list[str]
    fields: list[str] | None


class RedistributionPolicy(Out):
    """The automatic redistribution policy and the load horizon and absence threshold."""

    enabled: bool
    max_items: int | float
    require_skills: bool
    horizon_days: int | float
    absence_hours: int | float


class PlanningDefaults(Out):
    """Forecast defaults for members without a profile or measured labels, and the window."""

    default_seconds_per_label: int | float
    default_weekly_hours: int | float
    window_days: int | float


class TeamopsSettingsOut(Out):
    """A project's team-operations settings, defaults filled in."""

    selfcheck: list[dict[str, Any]]
    checklist: list[SelfcheckChecklistEntry]
    sensitive_fields: list[SensitiveFieldRule]
    redaction: TeamopsRedactionSettings
    redistribution: RedistributionPolicy
    planning: PlanningDefaults
    batch_size_limit: int | None
    senior_review_per_hour: int


class SelfcheckOut(Out):
    """The self-check rules and the checklist an annotator sees before submitting."""

    rules: list[dict[str, Any]]
    checklist: list[SelfcheckChecklistEntry]


class SeniorReviewOut(Out):
    """An item flagged for senior review: now hard, and queued for review."""

    item_id: int
    difficulty: str
    reason: str
    senior_review: bool
    queued: bool
