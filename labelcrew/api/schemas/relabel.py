"""Response models of `api/routes/relabel.py`: a published guideline revision with the links
behind it and the relabel it queued."""

from __future__ import annotations

from typing import Any

from labelcrew.api.schemas import Out


class RevisionRuleOut(Out):
    """A rule of the published guideline version."""

    number: str
    title: str
    text: str
    examples: list[Any]


class RevisionLinksOut(Out):
    """The escalation tickets and items a guideline version answers."""

    escalations: list[int]
    items: list[int]


class RevisionRelabelOut(Out):
    """The relabel a revision queued: items requeued, labels superseded, gold items skipped."""

    id: int
    items: int
    superseded: int
    skipped_gold: int
    item_ids: list[int]


class RevisionOut(Out):
    """A published guideline revision: the version, its links and the relabel it queued."""

    version: int
    status: str
    title: str
    body: str
    changelog: str
    published_at: str | None
    rules: list[RevisionRuleOut]
    links: RevisionLinksOut
    relabel: RevisionRelabelOut
    warnings: list[str]


class RelabelCriteriaOut(Out):
    """What chose a relabel's items: cited rules, primary-field labels, item ids, rulings."""

    rules: list[str]
    labels: list[str]
    items: list[int]
    from_rulings: bool


class RelabelRecordOut(Out):
    """One relabel a guideline version sent: its criteria and counts."""

    id: int
    criteria: RelabelCriteriaOut
    items: int
    superseded: int
    created_at: str


class RevisionLinksViewOut(Out):
    """What a guideline version links to and the relabels it sent."""

    version: int
    links: RevisionLinksOut
    relabels: list[RelabelRecordOut]
