"""Escalation tickets: open (annotators), claim, answer or escalate (reviewers), resolve
(guideline owners), list, and the SLA check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from labelcrew.api.inputs import RequestModel
from labelcrew.api.schemas.escalations import EscalationOut, EscalationOverdueOut
from labelcrew.domain.permissions import Action
from labelcrew.http.auth import Ctx, db_of, require
from labelcrew.services.escalations import tickets as escalations
from labelcrew.services.escalations import transitions as escalation_transitions

router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["escalations"])


class QuestionIn(RequestModel):
    question: str
    rule_number: str | None = None


class EscalationAnswerIn(RequestModel):
    answer: str


class NoteIn(RequestModel):
    note: str


class RulingIn(RequestModel):
    ruling: str
    rule_number: str | None = None


@router.post("/items/{item_id}/escalations", status_code=201, response_model=EscalationOut)
def open_escalation(
    project_id: int,
    item_id: int,
    body: QuestionIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.ESCALATION_OPEN)),
) -> Any:
    return escalations.open_escalation(
        db_of(request),
        ctx.actor,
        project_id,
        item_id,
        question=body.question,
        rule_number=body.rule_number,
    )


@router.get("/escalations", response_model=list[EscalationOut])
def list_escalations(
    project_id: int,
    request: Request,
    state: str | None = None,
    overdue: bool = False,
    level: int | None = None,
    assignee_id: int | None = None,
    ctx: Ctx = Depends(require(Action.ESCALATION_READ)),
) -> Any:
    return escalations.list_escalations(
        db_of(request),
        ctx.actor,
        project_id,
        state=state,
        overdue=overdue,
        level=level,
        assignee_id=assignee_id,
    )


@router.post("/escalations/check-overdue", response_model=EscalationOverdueOut)
def check_overdue(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.ALERT_MANAGE))
) -> Any:
    return escalations.check_overdue(db_of(request), project_id)


@router.post("/escalations/{escalation_id}/claim", response_model=EscalationOut)
def claim(
    project_id: int,
    escalation_id: int,
    request: Request,
    ctx: Ctx = Depends(require(Action.ESCALATION_HANDLE)),
) -> Any:
    return escalation_transitions.claim(db_of(request), ctx.actor, project_id, escalation_id)


@router.post("/escalations/{escalation_id}/answer", response_model=EscalationOut)
def answer(
    project_id: int,
    escalation_id: int,
    body: EscalationAnswerIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.ESCALATION_HANDLE)),
) -> Any:
    return escalation_transitions.answer(
        db_of(request), ctx.actor, project_id, escalation_id, answer=body.answer
    )


@router.post("/escalations/{escalation_id}/escalate", response_model=EscalationOut)
def escalate(
    project_id: int,
    escalation_id: int,
    body: NoteIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.ESCALATION_HANDLE)),
) -> Any:
    return escalation_transitions.escalate(
        db_of(request), ctx.actor, project_id, escalation_id, note=body.note
    )


@router.post("/escalations/{escalation_id}/resolve", response_model=EscalationOut)
def resolve(
    project_id: int,
    escalation_id: int,
    body: RulingIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.ESCALATION_RESOLVE)),
) -> Any:
    return escalation_transitions.resolve(
        db_of(request),
        ctx.actor,
        project_id,
        escalation_id,
        ruling=body.ruling,
        rule_number=body.rule_number,
    )
