"""The annotator's hot path: next item, submit, skip, release.

Next and submit return their `FastJSON` response themselves: a plain dict would first go
through FastAPI's `jsonable_encoder`, a recursive walk that cost as much as the request's
database work. They check the caller in their own thread (`require_in_handler`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from labelcrew.api.inputs import NUL_ERROR, RequestModel
from labelcrew.api.responses import FastJSON
from labelcrew.api.schemas.work import (
    BatchClaimReleasedOut,
    LeaseGivenBackOut,
    MyProgressOut,
    NextItemOut,
    SubmittedAnnotationOut,
)
from labelcrew.domain.permissions import Action
from labelcrew.domain.text_rules import NUL_JSON, NUL_MESSAGE, find_nul
from labelcrew.http.auth import Ctx, Deferred, db_of, require, require_in_handler
from labelcrew.services.uow import Database
from labelcrew.services.work import assignment, progress, returns, submission

router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["work"])


Body = TypeVar("Body", bound=BaseModel)
NUL_ESCAPE = NUL_JSON.encode()


class AnnotationIn(BaseModel):  # not a RequestModel: `_parse` checks it for NUL, cheaper
    value: dict[str, Any]
    checklist: list[str] | None = None  # ids of the self-check entries the annotator ticked


# Next and submit return FastJSON themselves: their response models document the body (FastAPI
# does not validate a returned Response); tests/integration/api/test_documented_bodies.py does.
@router.post("/next", response_model=NextItemOut)
def next_item(
    project_id: int,
    request: Request,
    another: bool = False,
    auth: Deferred = Depends(require_in_handler(Action.TASK_WORK)),
) -> Any:
    return give_next(db_of(request), auth.check(), another=another)


def give_next(db: Database, ctx: Ctx, *, another: bool) -> FastJSON:
    return FastJSON(assignment.next_item(db, ctx.actor, ctx.project_id, another=another))


# The body is read by the handler, after the caller is known (an outsider learns nothing about
# what a valid body looks like); OpenAPI still describes it.
ANNOTATION_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": AnnotationIn.model_json_schema()}},
    }
}


@router.post(
    "/items/{item_id}/annotations",
    status_code=201,
    openapi_extra=ANNOTATION_BODY,
    response_model=SubmittedAnnotationOut,
    responses={
        200: {
            "model": SubmittedAnnotationOut,
            "description": "A replay: the label stored earlier under this Idempotency-Key",
        }
    },
)
async def submit(
    project_id: int,
    item_id: int,
    request: Request,
    idempotency_key: str | None = Header(default=None),
    auth: Deferred = Depends(require_in_handler(Action.TASK_WORK)),
) -> Any:
    raw = await request.body()
    return await run_in_threadpool(_submit, auth, item_id, raw, idempotency_key)


def _submit(auth: Deferred, item_id: int, raw: bytes, idempotency_key: str | None) -> FastJSON:
    return take_submit(db_of(auth.request), auth.check(), item_id, raw, idempotency_key)


def take_submit(
    db: Database, ctx: Ctx, item_id: int, raw: bytes, idempotency_key: str | None
) -> FastJSON:
    """Parse the body (only now that the caller is known) and store the label."""
    body = _parse(AnnotationIn, raw)
    result = submission.submit(
        db,
        ctx.actor,
        ctx.project_id,
        item_id,
        body.value,
        idempotency_key=idempotency_key,
        checklist=body.checklist,
    )
    return FastJSON(result, status_code=201 if result["created"] else 200)


def _parse(model: type[Body], raw: bytes) -> Body:
    """A JSON body as `model`; errors in the shape FastAPI gives for a declared body.

    NUL is refused as `RequestModel` refuses it, but the walk over the value runs only when
    the body holds the escape: JSON cannot carry a raw NUL, so a body without `\\u0000` has
    none, and the submit path stays one substring scan dearer."""
    try:
        body = model.model_validate_json(raw or b"null")
    except ValidationError as error:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        raise RequestValidationError(errors) from None
    if NUL_ESCAPE in raw:
        found = find_nul(body.model_dump())
        if found is not None:
            nul = {"type": NUL_ERROR, "loc": ("body", found), "msg": NUL_MESSAGE, "input": None}
            raise RequestValidationError([nul])
    return body


class SkipIn(RequestModel):
    reason: str | None = None  # why: kept with the audit record of the skip


@router.post("/items/{item_id}/skip", response_model=LeaseGivenBackOut)
def skip(
    project_id: int,
    item_id: int,
    request: Request,
    body: SkipIn | None = None,
    ctx: Ctx = Depends(require(Action.TASK_WORK)),
) -> Any:
    reason = body.reason if body else None
    return returns.give_back(
        db_of(request), ctx.actor, project_id, item_id, skip=True, reason=reason
    )


@router.post("/items/{item_id}/release", response_model=LeaseGivenBackOut)
def release(
    project_id: int, item_id: int, request: Request, ctx: Ctx = Depends(require(Action.TASK_WORK))
) -> Any:
    return returns.give_back(db_of(request), ctx.actor, project_id, item_id, skip=False)


@router.post("/batches/{batch_id}/release-claim", response_model=BatchClaimReleasedOut)
def release_claim(
    project_id: int, batch_id: int, request: Request, ctx: Ctx = Depends(require(Action.TASK_WORK))
) -> Any:
    return returns.release_batch(db_of(request), ctx.actor, project_id, batch_id)


@router.get("/my/progress", response_model=MyProgressOut)
def my_progress(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.TASK_WORK))
) -> Any:
    return progress.my_progress(db_of(request), project_id, ctx.actor.user_id)
