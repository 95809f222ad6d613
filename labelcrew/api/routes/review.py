"""Review and QA audit: the review queue, reviews, flags, the error taxonomy, the feedback
settings, an annotator's own feedback and the review figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from labelcrew.api.inputs import RequestModel
from labelcrew.api.schemas.review import (
    BacklogSampleOut,
    ErrorTagOut,
    FeedbackSettingsOut,
    FlagOut,
    MyFeedbackOut,
    ReviewLeaseOut,
    ReviewOut,
    ReviewRecordedOut,
    ReviewStatsOut,
    ReviewTaskOut,
)
from labelcrew.domain.permissions import Action
from labelcrew.http.auth import Ctx, db_of, require
from labelcrew.services.review import feedback_settings as feedback_common
from labelcrew.services.review import leases as review_leases
from labelcrew.services.review import queue as review_queue
from labelcrew.services.review import reviews as review
from labelcrew.services.review import taxonomy

router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["review"])


class ReviewIn(RequestModel):
    verdict: str
    annotation_id: int | None = None
    corrected_value: dict[str, Any] | None = None
    error_tags: list[str] = Field(default_factory=list)
    rule_refs: list[str] = Field(default_factory=list)
    comment: str = ""


class FlagIn(RequestModel):
    reason: str


class TagIn(RequestModel):
    code: str
    name: str
    description: str = ""
    active: bool = True


class SettingsIn(RequestModel):
    review_policy: dict[str, Any] | None = None
    escalation_sla_hours: dict[str, Any] | None = None
    max_open_tickets_per_reviewer: int | None = None


@router.post("/review/next", response_model=ReviewLeaseOut, response_model_exclude_unset=True)
def next_review(
    project_id: int,
    request: Request,
    another: bool = False,
    ctx: Ctx = Depends(require(Action.REVIEW_WORK)),
) -> Any:
    return review_leases.next_review(db_of(request), ctx.actor, project_id, another=another)


@router.post(
    "/items/{item_id}/review/release",
    response_model=ReviewTaskOut,
    response_model_exclude_unset=True,
)
def release_review(
    project_id: int, item_id: int, request: Request, ctx: Ctx = Depends(require(Action.REVIEW_WORK))
) -> Any:
    return review_leases.release_review(db_of(request), ctx.actor, project_id, item_id)


@router.post("/items/{item_id}/reviews", status_code=201, response_model=ReviewRecordedOut)
def record_review(
    project_id: int,
    item_id: int,
    body: ReviewIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.REVIEW_WORK)),
) -> Any:
    return review.record_review(db_of(request), ctx.actor, project_id, item_id, **body.model_dump())


@router.get("/items/{item_id}/reviews", response_model=list[ReviewOut])
def item_reviews(
    project_id: int, item_id: int, request: Request, ctx: Ctx = Depends(require(Action.REVIEW_READ))
) -> Any:
    return review.item_reviews(db_of(request), project_id, item_id)


@router.post(
    "/items/{item_id}/flag",
    status_code=201,
    response_model=FlagOut,
    response_model_exclude_unset=True,
)
def flag_item(
    project_id: int,
    item_id: int,
    body: FlagIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.ITEM_FLAG)),
) -> Any:
    return review_queue.flag_item(
        db_of(request), ctx.actor, project_id, item_id, reason=body.reason
    )


@router.get("/review/queue", response_model=list[ReviewTaskOut], response_model_exclude_unset=True)
def review_queue_list(
    project_id: int,
    request: Request,
    state: str | None = None,
    limit: int = 100,
    offset: int = 0,
    ctx: Ctx = Depends(require(Action.REVIEW_READ)),
) -> Any:
    return review_queue.list_queue(
        db_of(request), project_id, state=state, limit=min(max(limit, 1), 1000), offset=offset
    )


@router.post("/review/sample", response_model=BacklogSampleOut)
def sample_backlog(
    project_id: int,
    request: Request,
    audit: bool = False,
    ctx: Ctx = Depends(require(Action.FEEDBACK_MANAGE)),
) -> Any:
    return review_queue.sample_backlog(db_of(request), ctx.actor, project_id, audit_sample=audit)


@router.get("/review/stats", response_model=ReviewStatsOut)
def review_stats(
    project_id: int,
    request: Request,
    since: datetime | None = None,
    until: datetime | None = None,
    ctx: Ctx = Depends(require(Action.REVIEW_READ)),
) -> Any:
    return review.feedback_stats(db_of(request), project_id, since=since, until=until)


@router.get("/my/feedback", response_model=list[MyFeedbackOut])
def my_feedback(
    project_id: int,
    request: Request,
    since: datetime | None = None,
    limit: int = 100,
    ctx: Ctx = Depends(require(Action.FEEDBACK_OWN)),
) -> Any:
    return review.my_feedback(
        db_of(request), ctx.actor, project_id, since=since, limit=min(max(limit, 1), 1000)
    )


@router.get("/error-tags", response_model=list[ErrorTagOut])
def list_tags(
    project_id: int,
    request: Request,
    include_retired: bool = False,
    ctx: Ctx = Depends(require(Action.REVIEW_READ)),
) -> Any:
    return taxonomy.list_tags(db_of(request), project_id, include_retired=include_retired)


@router.put("/error-tags", response_model=ErrorTagOut)
def upsert_tag(
    project_id: int,
    body: TagIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.FEEDBACK_MANAGE)),
) -> Any:
    return taxonomy.upsert_tag(db_of(request), ctx.actor, project_id, **body.model_dump())


@router.get("/feedback/settings", response_model=FeedbackSettingsOut)
def get_settings(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.REVIEW_READ))
) -> Any:
    return feedback_common.get_settings(db_of(request), project_id)


@router.put("/feedback/settings", response_model=FeedbackSettingsOut)
def update_settings(
    project_id: int,
    body: SettingsIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.FEEDBACK_MANAGE)),
) -> Any:
    return feedback_common.update_settings(
        db_of(request), ctx.actor, project_id, **body.model_dump()
    )
