"""Response models of `api/routes/calibration.py`: sessions, blind answers, results, decisions.

An invitee sees the split of answers (`split`, `results`, `decisions`) only once they answered
every item or the session is closed: those keys are absent, not null, until then.
"""

from __future__ import annotations

from typing import Any

from labelcrew.api.schemas import Out
from labelcrew.api.schemas.guidelines import GuidelineVersionOut
from labelcrew.api.schemas.quality import AgreementSummary


class CalibrationSessionListed(Out):
    """A session in the list, with its alpha (recorded at closing, else as it stands)."""

    id: int
    title: str
    state: str
    created_at: str
    closed_at: str | None
    alpha: float | None


class CalibrationPickedItem(Out):
    """An item of a new session and why it was picked (manual, disagreed, escalated,
    corrected)."""

    item_id: int
    reason: str


class CalibrationSessionCreatedOut(Out):
    """A new session: its items and the members invited."""

    id: int
    title: str
    pick: str
    items: list[CalibrationPickedItem]
    invited: list[str]


class CalibrationInvitedOut(Out):
    """The usernames newly invited to a session (those invited already are left out)."""

    id: int
    invited: list[str]


class CalibrationInvitee(Out):
    """An invited member and how far they got."""

    username: str
    answered: int
    completed_at: str | None


class CalibrationItemResult(Out):
    """The answers on one item: how many, their split by value, the share of the top value."""

    item_id: int
    answers: int
    split: dict[str, int]
    agreement: float | None


class CalibrationResults(Out):
    """Agreement over a session's answers on the primary field, and the split per item
    (least agreed first)."""

    alpha: float | None
    agreement: AgreementSummary | None
    items: list[CalibrationItemResult]
    field: str


class CalibrationDecisionOut(Out):
    """The group's decision on one item, and the draft rule it went into (once drafted)."""

    item_id: int
    decision: str
    rule_number: str | None
    drafted_rule: str | None


class CalibrationSessionOut(Out):
    """A session, who took part how far and, once revealed to the caller, the results and
    decisions."""

    id: int
    title: str
    state: str
    pick: str
    guideline_version: int | None
    created_at: str
    closed_at: str | None
    items: int
    invitees: list[CalibrationInvitee]
    revealed: bool
    results: CalibrationResults | None = None
    decisions: list[CalibrationDecisionOut] | None = None


class CalibrationSessionItem(Out):
    """An item to label blind: its payload, the caller's own answer and, once revealed, the
    split of everyone's answers."""

    item_id: int
    payload: dict[str, Any]
    my_answer: dict[str, Any] | None
    split: dict[str, int] | None = None


class CalibrationSessionItemsOut(Out):
    """A session's items as the caller labels them."""

    session_id: int
    state: str
    revealed: bool
    schema_version: int
    answered: int
    items: list[CalibrationSessionItem]


class CalibrationAnswerOut(Out):
    """The caller's stored answer on one item and how many of the session's items they
    answered."""

    item_id: int
    value: dict[str, Any]
    answered: int
    of: int


class CalibrationClosedOut(Out):
    """A closed session: its recorded alpha and final results."""

    id: int
    state: str
    alpha: float | None
    results: CalibrationResults


class CalibrationDecidedOut(Out):
    """The decision recorded on one item."""

    item_id: int
    decision: str
    rule_number: str | None


class CalibrationDraftOut(Out):
    """The guideline draft with the session's decisions written in, and the rules they
    touched."""

    draft: GuidelineVersionOut
    drafted_rules: list[str]
