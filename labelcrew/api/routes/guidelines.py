"""Guidelines: drafts, publishing with a changelog, acknowledgement."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from labelcrew.api.inputs import RequestModel
from labelcrew.api.schemas.guidelines import (
    GuidelineAcknowledgedOut,
    GuidelineVersionListed,
    GuidelineVersionOut,
)
from labelcrew.domain.permissions import Action
from labelcrew.http.auth import Ctx, db_of, require
from labelcrew.services.guidelines import versions as guidelines

router = APIRouter(prefix="/api/v1/projects/{project_id}/guidelines", tags=["guidelines"])


class RuleIn(RequestModel):
    number: str
    title: str = ""
    text: str
    examples: list[Any] = Field(default_factory=list)


class DraftIn(RequestModel):
    title: str = ""
    body: str = ""
    rules: list[RuleIn]


class PublishIn(RequestModel):
    changelog: str


@router.get("", response_model=list[GuidelineVersionListed])
def list_versions(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.GUIDELINE_READ))
) -> Any:
    return guidelines.list_versions(db_of(request), project_id)


@router.get("/current", response_model=GuidelineVersionOut)
def current(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.GUIDELINE_READ))
) -> Any:
    return guidelines.get_version(db_of(request), project_id)


@router.get("/{version}", response_model=GuidelineVersionOut)
def get_version(
    project_id: int,
    version: int,
    request: Request,
    ctx: Ctx = Depends(require(Action.GUIDELINE_READ)),
) -> Any:
    return guidelines.get_version(db_of(request), project_id, version)


@router.put("/draft", response_model=GuidelineVersionOut)
def save_draft(
    project_id: int,
    body: DraftIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.GUIDELINE_EDIT)),
) -> Any:
    return guidelines.save_draft(
        db_of(request),
        ctx.actor,
        project_id,
        title=body.title,
        body=body.body,
        rules=[r.model_dump() for r in body.rules],
    )


@router.post("/{version}/publish", response_model=GuidelineVersionOut)
def publish(
    project_id: int,
    version: int,
    body: PublishIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.GUIDELINE_PUBLISH)),
) -> Any:
    return guidelines.publish(
        db_of(request), ctx.actor, project_id, version=version, changelog=body.changelog
    )


@router.post("/{version}/acknowledge", response_model=GuidelineAcknowledgedOut)
def acknowledge(
    project_id: int,
    version: int,
    request: Request,
    ctx: Ctx = Depends(require(Action.GUIDELINE_ACKNOWLEDGE)),
) -> Any:
    return guidelines.acknowledge(db_of(request), ctx.actor, project_id, version=version)
