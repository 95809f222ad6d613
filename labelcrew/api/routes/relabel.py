"""Guideline revisions: publish with links to the tickets and items behind them, and relabel."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from labelcrew.api.inputs import RequestModel
from labelcrew.api.schemas.relabel import RevisionLinksViewOut, RevisionOut
from labelcrew.domain.permissions import Action
from labelcrew.http.auth import Ctx, db_of, require
from labelcrew.services.guidelines import relabel

router = APIRouter(prefix="/api/v1/projects/{project_id}/guidelines", tags=["guidelines"])


class RevisionIn(RequestModel):
    changelog: str = ""
    links: dict[str, Any] = Field(default_factory=dict)
    relabel: dict[str, Any] = Field(default_factory=dict)


@router.post("/{version}/revision", response_model=RevisionOut)
def publish_revision(
    project_id: int,
    version: int,
    body: RevisionIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.GUIDELINE_PUBLISH)),
) -> Any:
    return relabel.publish_revision(
        db_of(request),
        ctx.actor,
        project_id,
        version,
        body.changelog,
        links=body.links,
        relabel=body.relabel,
    )


@router.get("/{version}/links", response_model=RevisionLinksViewOut)
def revision_links(
    project_id: int,
    version: int,
    request: Request,
    ctx: Ctx = Depends(require(Action.GUIDELINE_READ)),
) -> Any:
    return relabel.revision_links(db_of(request), project_id, version)
