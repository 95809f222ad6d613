"""Response models of `api/routes/guidelines.py`: versions, their rules, acknowledgement."""

from __future__ import annotations

from typing import Any

from labelcrew.api.schemas import Out


class GuidelineRuleOut(Out):
    """One numbered rule ("4", "4.2") with its examples (free-form, as the editors wrote them)."""

    number: str
    title: str
    text: str
    examples: list[Any]


class GuidelineVersionListed(Out):
    """A guideline version in the list: no body, no rules."""

    version: int
    status: str
    title: str
    changelog: str
    published_at: str | None


class GuidelineVersionOut(Out):
    """A guideline version (draft or published) with its body and rules in number order."""

    version: int
    status: str
    title: str
    body: str
    changelog: str
    published_at: str | None
    rules: list[GuidelineRuleOut]


class GuidelineAcknowledgedOut(Out):
    """The guideline version the caller acknowledged, and when."""

    acknowledged_guideline_version: int
    at: str
