"""Dataset releases: publish, read the notes, compare, export (audited).

A release is named in the path by its name (``{version}``, e.g. ``v1``). The diff takes the
release to compare with as ``?base=`` (default: the release published just before), so that
every path keeps the placeholders the route x role walker knows.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from labelcrew.api.inputs import RequestModel
from labelcrew.api.schemas.releases import (
    LabelStudioTask,
    ReleaseDiffOut,
    ReleaseExcludedItem,
    ReleaseOut,
    ReleaseSummaryOut,
    ReleaseVerifyOut,
)
from labelcrew.domain.permissions import Action
from labelcrew.http.auth import Ctx, db_of, require
from labelcrew.services.releases import formats as releases_export
from labelcrew.services.releases import publish as releases

router = APIRouter(prefix="/api/v1/projects/{project_id}/releases", tags=["releases"])


class ReleaseIn(RequestModel):
    name: str = Field(min_length=1, max_length=80)
    method: str = "ds"
    min_confidence: float | None = None


@router.post("", status_code=201, response_model=ReleaseOut, response_model_exclude_unset=True)
def create(
    project_id: int,
    body: ReleaseIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.RELEASE_CREATE)),
) -> Any:
    return releases.create_release(
        db_of(request),
        ctx.actor,
        project_id,
        name=body.name,
        method=body.method,
        min_confidence=body.min_confidence,
    )


@router.get("", response_model=list[ReleaseSummaryOut])
def list_all(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.RELEASE_READ))
) -> Any:
    return releases.list_releases(db_of(request), project_id)


@router.get("/{version}", response_model=ReleaseOut, response_model_exclude_unset=True)
def notes(
    project_id: int,
    version: str,
    request: Request,
    ctx: Ctx = Depends(require(Action.RELEASE_READ)),
) -> Any:
    return releases.get_release(db_of(request), project_id, version)


@router.get("/{version}/excluded", response_model=list[ReleaseExcludedItem])
def excluded(
    project_id: int,
    version: str,
    request: Request,
    ctx: Ctx = Depends(require(Action.RELEASE_ITEMS_READ)),
) -> Any:
    return releases.excluded_items(db_of(request), project_id, version)


@router.get("/{version}/verify", response_model=ReleaseVerifyOut)
def verify(
    project_id: int,
    version: str,
    request: Request,
    ctx: Ctx = Depends(require(Action.RELEASE_READ)),
) -> Any:
    return releases.verify_release(db_of(request), project_id, version)


@router.get("/{version}/diff", response_model=ReleaseDiffOut)
def diff(
    project_id: int,
    version: str,
    request: Request,
    base: str | None = None,
    ctx: Ctx = Depends(require(Action.RELEASE_DIFF)),
) -> Any:
    db = db_of(request)
    old = base if base is not None else releases.previous_name(db, project_id, version)
    return releases.diff_releases(db, project_id, old, version)


@router.get(
    "/{version}/export",
    response_class=Response,
    responses={
        200: {
            "model": list[LabelStudioTask],  # format=labelstudio: its JSON body
            "content": {
                "application/x-ndjson": {},
                "text/csv": {},
                "application/vnd.apache.parquet": {},
            },
            "description": "The release's included items as JSON lines (`format=jsonl`), CSV "
            "(`csv`), Parquet (`parquet`) or a JSON list of Label Studio tasks (`labelstudio`)",
        }
    },
)
def export(
    project_id: int,
    version: str,
    request: Request,
    format: str = "jsonl",
    ctx: Ctx = Depends(require(Action.EXPORT)),
) -> Response:
    file = releases_export.export_release(db_of(request), ctx.actor, project_id, version, format)
    return Response(
        file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )
