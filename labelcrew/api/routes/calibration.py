"""Calibration sessions: create (lead, QA), label blind (invitees), compare, decide, draft."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from labelcrew.api.inputs import RequestModel
from labelcrew.api.schemas.calibration import (
    CalibrationAnswerOut,
    CalibrationClosedOut,
    CalibrationDecidedOut,
    CalibrationDraftOut,
    CalibrationInvitedOut,
    CalibrationSessionCreatedOut,
    CalibrationSessionItemsOut,
    CalibrationSessionListed,
    CalibrationSessionOut,
)
from labelcrew.domain.permissions import Action
from labelcrew.http.auth import Ctx, db_of, require
from labelcrew.services.calibration import results as calibration_review
from labelcrew.services.calibration import sessions as calibration

router = APIRouter(prefix="/api/v1/projects/{project_id}/calibration", tags=["calibration"])


class SessionIn(RequestModel):
    title: str = ""
    items: list[int] | None = None
    size: int = 30
    pick: str = "auto"
    invite: list[str] = Field(default_factory=list)


class InviteIn(RequestModel):
    usernames: list[str]


class CalibrationAnswerIn(RequestModel):
    value: dict[str, Any]


class DecisionIn(RequestModel):
    item_id: int
    decision: str
    rule_number: str | None = None


@router.get("", response_model=list[CalibrationSessionListed])
def list_sessions(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.CALIBRATION_TAKE))
) -> Any:
    return calibration_review.list_sessions(db_of(request), ctx.actor, project_id)


@router.post("", status_code=201, response_model=CalibrationSessionCreatedOut)
def create_session(
    project_id: int,
    body: SessionIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.CALIBRATION_MANAGE)),
) -> Any:
    return calibration.create_session(
        db_of(request),
        ctx.actor,
        project_id,
        title=body.title,
        item_ids=body.items,
        size=body.size,
        pick=body.pick,
        invite=body.invite,
    )


@router.get(
    "/{session_id}", response_model=CalibrationSessionOut, response_model_exclude_unset=True
)
def show_session(
    project_id: int,
    session_id: int,
    request: Request,
    ctx: Ctx = Depends(require(Action.CALIBRATION_TAKE)),
) -> Any:
    return calibration_review.show_session(db_of(request), ctx.actor, project_id, session_id)


@router.post("/{session_id}/invite", response_model=CalibrationInvitedOut)
def invite(
    project_id: int,
    session_id: int,
    body: InviteIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.CALIBRATION_MANAGE)),
) -> Any:
    return calibration.invite_members(
        db_of(request), ctx.actor, project_id, session_id, body.usernames
    )


@router.get(
    "/{session_id}/items",
    response_model=CalibrationSessionItemsOut,
    response_model_exclude_unset=True,
)
def session_items(
    project_id: int,
    session_id: int,
    request: Request,
    ctx: Ctx = Depends(require(Action.CALIBRATION_TAKE)),
) -> Any:
    return calibration.session_items(db_of(request), ctx.actor, project_id, session_id)


@router.post("/{session_id}/items/{item_id}/answers", response_model=CalibrationAnswerOut)
def answer(
    project_id: int,
    session_id: int,
    item_id: int,
    body: CalibrationAnswerIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.CALIBRATION_TAKE)),
) -> Any:
    return calibration.answer(
        db_of(request), ctx.actor, project_id, session_id, item_id, body.value
    )


@router.post(
    "/{session_id}/close", response_model=CalibrationClosedOut, response_model_exclude_unset=True
)
def close(
    project_id: int,
    session_id: int,
    request: Request,
    ctx: Ctx = Depends(require(Action.CALIBRATION_MANAGE)),
) -> Any:
    return calibration_review.close_session(db_of(request), ctx.actor, project_id, session_id)


@router.post("/{session_id}/decisions", response_model=CalibrationDecidedOut)
def decide(
    project_id: int,
    session_id: int,
    body: DecisionIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.CALIBRATION_MANAGE)),
) -> Any:
    return calibration_review.decide(
        db_of(request),
        ctx.actor,
        project_id,
        session_id,
        item_id=body.item_id,
        decision=body.decision,
        rule_number=body.rule_number,
    )


@router.post("/{session_id}/decisions/to-draft", response_model=CalibrationDraftOut)
def to_draft(
    project_id: int,
    session_id: int,
    request: Request,
    # Writing rules into the draft is editing the guideline: the guideline editors decide,
    # whoever recorded the decisions (QA runs sessions but does not edit the guideline).
    ctx: Ctx = Depends(require(Action.GUIDELINE_EDIT)),
) -> Any:
    return calibration_review.decisions_to_draft(db_of(request), ctx.actor, project_id, session_id)
