"""Response models of priorities, release notes and the weekly cadence (routes in
`api/routes/teamops.py`)."""

from __future__ import annotations

from typing import Any

from labelcrew.api.schemas import Out


class PublishedPriority(Out):
    """One batch's place in published priorities, with the reason."""

    batch_id: int
    batch: str
    priority: int
    reason: str


class PriorityNoticeOut(Out):
    """Priorities a lead published: which batches come first, why, and how many items moved."""

    id: int
    entries: list[PublishedPriority]
    reason: str
    items_updated: int
    published_by: str | None
    published_at: str


class PrioritiesOut(Out):
    """The current priorities (null: none published yet), when they changed, and earlier ones."""

    current: PriorityNoticeOut | None
    changed_at: str | None
    history: list[PriorityNoticeOut]


class ReleaseNoteEntry(Out):
    """A guideline version's changelog or a dataset release's notes."""

    kind: str
    version: int
    title: str
    notes: str
    at: str | None


class ReleaseNotesOut(Out):
    """Guideline changelogs and dataset release notes, newest first."""

    project_id: int
    notes: list[ReleaseNoteEntry]


class CadenceOut(Out):
    """A weekly ritual: when it is due (UTC, ISO) and what its last run did."""

    kind: str
    weekday: int
    hour: int
    timezone: str
    next_due_at: str
    last_run_at: str | None
    last_result: dict[str, Any]
