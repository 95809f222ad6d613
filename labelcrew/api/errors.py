"""Typed errors to HTTP: one place that maps each error class to a status and a JSON body
`{"code", "message", "field"?, "details"?}`. Nothing else in the API builds error responses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from labelcrew.api.inputs import INNER
from labelcrew.api.responses import FastJSON
from labelcrew.errors import (
    LabelcrewError,
    Throttled,
    Unauthenticated,
)
from labelcrew.http.status import status_for

log = logging.getLogger("labelcrew.api")


class ErrorBody(BaseModel):
    """The body of every error response, whatever its status."""

    code: str
    message: str
    field: str | None = None
    details: dict[str, Any] | None = None


# Declared on every API route (`app.include_router(..., responses=RESPONSES)`), so the OpenAPI
# document names each status an error can take and the one body they all share; 422 replaces
# FastAPI's own HTTPValidationError, which is not what `validation_response` sends.
RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (400, "Malformed request (a header or parameter)"),
        (401, "No valid credentials"),
        (403, "Your roles may not do this"),
        (404, "No such entity, or it is not visible to you"),
        (409, "Conflicts with the current state"),
        (413, "Request body too large"),
        (422, "A value is invalid; `field` names it"),
        (429, "Too many requests; retry later"),
        (503, "Temporarily unavailable; retry later"),
    )
}


def json_response(status: int) -> dict[str, Any]:
    """`RESPONSES[status]` for a route whose own body is not JSON (FastAPI would document the
    error under the route's media type)."""
    return {
        "description": RESPONSES[status]["description"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }


def domain_response(exc: LabelcrewError) -> FastJSON:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    if isinstance(exc, Throttled):
        headers = {"Retry-After": str(exc.retry_after)}
    return FastJSON(exc.to_dict(), status_code=status_for(exc), headers=headers)


def validation_response(exc: RequestValidationError) -> FastJSON:
    """422 naming the first bad field (path, query, header and body prefixes dropped)."""
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    loc = [str(p) for p in first.get("loc", ())]
    if loc and loc[0] in ("body", "query", "path", "header"):
        del loc[0]  # only the prefix: a field may itself be called `body` (a comment's)
    context = first.get("ctx")
    inner = context.get(INNER) if isinstance(context, dict) else None
    if inner:  # a check that walked a nested value (a NUL in `value.spans.0.label`)
        loc.append(str(inner))
    field = ".".join(loc) or None
    body = {
        "code": "validation_failed",
        "message": f"{field or 'request'}: {first['msg']}",
        "field": field,
        "details": {
            "errors": [
                {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg")}
                for e in errors[:20]
            ]
        },
    }
    return FastJSON(body, status_code=422)


def install(app: FastAPI) -> None:
    @app.exception_handler(LabelcrewError)
    async def _domain(_: Request, exc: LabelcrewError) -> FastJSON:
        return domain_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> FastJSON:
        return validation_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> FastJSON:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return FastJSON({"code": code, "message": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> FastJSON:
        log.exception("unexpected error", exc_info=exc)
        return FastJSON(
            {"code": "internal", "message": "internal error; see the server log"}, status_code=500
        )
