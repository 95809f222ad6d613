"""Team operations: capacity and forecasts, redistribution and handoffs, self-check, priorities
and cadence, release notes, cost, and the team-operations settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from labelcrew.api.inputs import JsonObject, RequestModel
from labelcrew.api.schemas.teamops import (
    AutoRedistributionOut,
    CostReportOut,
    DeadlineOut,
    HandoffBoardOut,
    HandoffHistoryOut,
    MemberProfileOut,
    PlanOut,
    RedistributionOut,
    TeamLoadOut,
    TeamopsBatchOut,
)
from labelcrew.api.schemas.teamops_priorities import (
    CadenceOut,
    PrioritiesOut,
    PriorityNoticeOut,
    ReleaseNotesOut,
)
from labelcrew.api.schemas.teamops_settings import SelfcheckOut, SeniorReviewOut, TeamopsSettingsOut
from labelcrew.domain.permissions import Action
from labelcrew.http.auth import Ctx, db_of, require
from labelcrew.services.teamops import capacity, cost, handoffs, priorities, redistribution
from labelcrew.services.teamops import forecast as capacity_forecast
from labelcrew.services.teamops import settings as teamops_settings
from labelcrew.services.work import difficulty_hooks as routing
from labelcrew.services.work import selfcheck

router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["teamops"])


class ProfileIn(RequestModel):
    level: str | None = None
    skills: dict[str, Any] | None = None
    weekly_hours: float | None = None
    timezone: str | None = None
    shift_start: int | None = None
    shift_end: int | None = None
    hourly_rate: float | None = None
    item_rate: float | None = None
    currency: str | None = Field(default=None, max_length=8)


class DeadlineIn(RequestModel):
    deadline: datetime | None = None


class RedistributeIn(RequestModel):
    from_user: int
    to_users: list[int] | None = None
    batch_ids: list[int] | None = None
    max_items: int | None = None


class AutoIn(RequestModel):
    force: bool = False


class HandoffIn(RequestModel):
    to_owner: str
    note: str


class FlagIn(RequestModel):
    reason: str


class PriorityEntry(RequestModel):
    batch_id: int
    priority: int
    reason: str = ""


class PrioritiesIn(RequestModel):
    entries: list[PriorityEntry]
    reason: str


class CadenceIn(RequestModel):
    kind: str
    weekday: int
    hour: int = 9
    timezone: str = "UTC"


@router.get("/plan", response_model=PlanOut, response_model_exclude_unset=True)
def plan(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.TEAMOPS_PLAN))
) -> Any:
    return capacity_forecast.plan(db_of(request), project_id)


@router.get("/load", response_model=TeamLoadOut)
def load(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.TEAMOPS_PLAN))
) -> Any:
    return capacity_forecast.team_load(db_of(request), project_id)


@router.get("/profiles", response_model=list[MemberProfileOut])
def profiles(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.TEAMOPS_PLAN))
) -> Any:
    return capacity.list_profiles(db_of(request), project_id)


@router.put("/members/{user_id}/profile", response_model=MemberProfileOut)
def set_profile(
    project_id: int,
    user_id: int,
    body: ProfileIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.MEMBER_MANAGE)),
) -> Any:
    values = body.model_dump(exclude_none=True)
    return capacity.set_profile(db_of(request), ctx.actor, project_id, user_id, values)


@router.put("/deadline", response_model=DeadlineOut)
def set_deadline(
    project_id: int,
    body: DeadlineIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.PROJECT_UPDATE)),
) -> Any:
    return capacity.set_deadline(db_of(request), ctx.actor, project_id, body.deadline)


@router.put("/batches/{batch_id}/deadline", response_model=DeadlineOut)
def set_batch_deadline(
    project_id: int,
    batch_id: int,
    body: DeadlineIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.BATCH_MANAGE)),
) -> Any:
    return capacity.set_deadline(
        db_of(request), ctx.actor, project_id, body.deadline, batch_id=batch_id
    )


@router.post("/redistribute", response_model=RedistributionOut)
def redistribute(
    project_id: int,
    body: RedistributeIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.TEAMOPS_MANAGE)),
) -> Any:
    return redistribution.redistribute(
        db_of(request),
        ctx.actor,
        project_id,
        from_user=body.from_user,
        to_users=body.to_users,
        batch_ids=body.batch_ids,
        max_items=body.max_items,
    )


@router.post(
    "/redistribute/auto", response_model=AutoRedistributionOut, response_model_exclude_unset=True
)
def auto_redistribute(
    project_id: int,
    body: AutoIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.TEAMOPS_MANAGE)),
) -> Any:
    return redistribution.auto_redistribute(db_of(request), project_id, force=body.force)


@router.get("/handoffs", response_model=HandoffBoardOut)
def handoff_board(
    project_id: int,
    request: Request,
    almost: float = 0.9,
    ctx: Ctx = Depends(require(Action.BATCH_DETAIL_READ)),  # progress per batch
) -> Any:
    return handoffs.board(db_of(request), project_id, almost=almost)


@router.post("/batches/{batch_id}/handoff", response_model=TeamopsBatchOut)
def handoff(
    project_id: int,
    batch_id: int,
    body: HandoffIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.BATCH_TRANSITION)),
) -> Any:
    return handoffs.handoff(
        db_of(request), ctx.actor, project_id, batch_id, to_owner=body.to_owner, note=body.note
    )


@router.get("/batches/{batch_id}/handoffs", response_model=HandoffHistoryOut)
def handoff_history(
    project_id: int, batch_id: int, request: Request, ctx: Ctx = Depends(require(Action.BATCH_READ))
) -> Any:
    return handoffs.history(db_of(request), project_id, batch_id)


@router.get("/teamops/settings", response_model=TeamopsSettingsOut)
def get_settings(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.TEAMOPS_PLAN))
) -> Any:
    return teamops_settings.get_settings(db_of(request), project_id)


@router.put("/teamops/settings", response_model=TeamopsSettingsOut)
def update_settings(
    project_id: int,
    body: JsonObject,
    request: Request,
    ctx: Ctx = Depends(require(Action.PROJECT_UPDATE)),
) -> Any:
    return teamops_settings.update_settings(db_of(request), ctx.actor, project_id, body)


@router.get("/selfcheck", response_model=SelfcheckOut)
def get_selfcheck(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.PROJECT_READ))
) -> Any:
    return selfcheck.for_annotators(db_of(request), project_id)


@router.post("/items/{item_id}/senior-review", response_model=SeniorReviewOut)
def senior_review(
    project_id: int,
    item_id: int,
    body: FlagIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.ITEM_FLAG)),
) -> Any:
    return routing.flag_for_senior(
        db_of(request), ctx.actor, project_id, item_id, reason=body.reason
    )


@router.get("/priorities", response_model=PrioritiesOut)
def get_priorities(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.PROJECT_READ))
) -> Any:
    return priorities.current(db_of(request), project_id)


@router.post("/priorities", status_code=201, response_model=PriorityNoticeOut)
def publish_priorities(
    project_id: int,
    body: PrioritiesIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.TEAMOPS_MANAGE)),
) -> Any:
    entries = [e.model_dump() for e in body.entries]
    return priorities.publish(
        db_of(request), ctx.actor, project_id, entries=entries, reason=body.reason
    )


@router.get("/release-notes", response_model=ReleaseNotesOut)
def release_notes(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.PROJECT_READ))
) -> Any:
    return priorities.release_notes(db_of(request), project_id)


@router.get("/cadence", response_model=list[CadenceOut])
def list_cadence(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.PROJECT_READ))
) -> Any:
    return priorities.list_cadences(db_of(request), project_id)


@router.put("/cadence", response_model=CadenceOut)
def set_cadence(
    project_id: int,
    body: CadenceIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.TEAMOPS_MANAGE)),
) -> Any:
    return priorities.set_cadence(
        db_of(request),
        ctx.actor,
        project_id,
        kind=body.kind,
        weekday=body.weekday,
        hour=body.hour,
        timezone=body.timezone,
    )


@router.get("/cost", response_model=CostReportOut)
def cost_report(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.COST_READ))
) -> Any:
    return cost.cost_report(db_of(request), project_id)
