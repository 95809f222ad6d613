"""Response models of projects, members, label schemas and the audit log
(`api/routes/projects.py`)."""

from __future__ import annotations

from typing import Any

from labelcrew.api.schemas import Out


class ProjectOut(Out):
    """A project and its settings: overlap, leases, WIP limit, gold rates, current versions.
    The gold rates are null for members who may not read quality figures (annotators)."""

    id: int
    slug: str
    name: str
    description: str
    overlap: int
    max_overlap: int
    overlap_policy: str
    target_confidence: float
    lease_seconds: int
    wip_limit: int
    gold_rate: float | None
    probation_gold_rate: float | None
    honeypot_rate: float | None
    schema_version: int | None
    guideline_version: int | None
    created_at: str


class ProjectMemberOut(Out):
    """A project member: roles, status, skills, their own WIP limit and gold rate (null: the
    project's), and the guideline version they acknowledged."""

    user_id: int
    username: str
    roles: list[str]
    status: str
    skills: dict[str, Any]
    wip_limit: int | None
    gold_rate: float | None
    acknowledged_guideline_version: int | None


class LabelSchemaOut(Out):
    """One version of a project's label schema; `locked` once an annotation uses it."""

    version: int
    locked: bool
    definition: dict[str, Any]
    current: bool


class LabelSchemaSavedOut(Out):
    """The schema version a change was saved as (replaced in place, or a new version)."""

    version: int
    locked: bool
    definition: dict[str, Any]


class AuditEventOut(Out):
    """One entry of the append-only audit log, with the state before and after."""

    id: int
    at: str
    actor: str | None
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
