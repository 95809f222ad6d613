"""The annotator's hot path: next item, submit, skip, release.

Next and submit return their `FastJSON` response themselves: a plain dict would first go
through FastAPI's `jsonable_encoder`, a recursive walk that cost as much as the request's
database work.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel

from labelcrew.api.responses import FastJSON
from labelcrew.api.security import Ctx, db_of, require
from labelcrew.domain.permissions import Action
from labelcrew.services import assignment, submission

router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["work"])


class AnnotationIn(BaseModel):
    value: dict[str, Any]
    checklist: list[str] | None = None  # ids of the self-check entries the annotator ticked


@router.post("/next")
def next_item(
    project_id: int,
    request: Request,
    another: bool = False,
    ctx: Ctx = Depends(require(Action.TASK_WORK)),
) -> Any:
    return FastJSON(assignment.next_item(db_of(request), ctx.actor, project_id, another=another))


@router.post("/items/{item_id}/annotations", status_code=201)
def submit(
    project_id: int,
    item_id: int,
    body: AnnotationIn,
    request: Request,
    idempotency_key: str | None = Header(default=None),
    ctx: Ctx = Depends(require(Action.TASK_WORK)),
) -> Any:
    result = submission.submit(
        db_of(request),
        ctx.actor,
        project_id,
        item_id,
        body.value,
        idempotency_key=idempotency_key,
        checklist=body.checklist,
    )
    return FastJSON(result, status_code=201 if result["created"] else 200)


@router.post("/items/{item_id}/skip")
def skip(
    project_id: int, item_id: int, request: Request, ctx: Ctx = Depends(require(Action.TASK_WORK))
) -> Any:
    return assignment.give_back(db_of(request), ctx.actor, project_id, item_id, skip=True)


@router.post("/items/{item_id}/release")
def release(
    project_id: int, item_id: int, request: Request, ctx: Ctx = Depends(require(Action.TASK_WORK))
) -> Any:
    return assignment.give_back(db_of(request), ctx.actor, project_id, item_id, skip=False)


@router.post("/batches/{batch_id}/release-claim")
def release_claim(
    project_id: int, batch_id: int, request: Request, ctx: Ctx = Depends(require(Action.TASK_WORK))
) -> Any:
    return assignment.release_batch(db_of(request), ctx.actor, project_id, batch_id)
