"""Response models of `api/routes/escalations.py`: escalation tickets and the SLA check."""

from __future__ import annotations

from labelcrew.api.schemas import Out


class EscalationOut(Out):
    """An escalation ticket: the question, its level and state, SLA due time, and each answer."""

    id: int
    item_id: int
    level: int
    state: str
    rule_number: str | None
    question: str
    opened_by: int
    assignee_id: int | None
    created_at: str
    due_at: str
    overdue: bool
    answer: str | None
    answered_by: int | None
    answered_at: str | None
    escalation_note: str | None
    escalated_by: int | None
    escalated_at: str | None
    ruling: str | None
    ruling_rule: str | None
    resolved_by: int | None
    resolved_at: str | None


class EscalationOverdueOut(Out):
    """The tickets past their SLA, and the ids of those this check alerted on."""

    overdue: list[EscalationOut]
    alerted: list[int]
