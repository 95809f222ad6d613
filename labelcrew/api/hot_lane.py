"""Next and submit for bearer-token clients, answered before FastAPI's routing.

An annotator's client calls these two routes for every item, and FastAPI's per-request
machinery around them (walking the routes, building the Request, solving the dependencies,
the exception middleware) cost about as much CPU as the database work itself. The lane takes
only the plain case: POST, `Authorization: Bearer ...`, no session cookie, no query string.
What it does is the routes' own: `work.give_next` and `work.take_submit` do the work in a
worker thread after `security.authorize_token` (so an outsider gets 401 before any word
about the body), `errors` shapes every error, and the latency histogram sees the route's
template. Anything else (browser sessions and their CSRF check, `?another=true`, a malformed
Authorization header) goes on to FastAPI, which answers exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from labelcrew.api import errors
from labelcrew.api.routes import work
from labelcrew.api.security import SESSION_COOKIE, authorize_token
from labelcrew.domain.permissions import Action
from labelcrew.errors import LabelcrewError
from labelcrew.services.uow import Database

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

NEXT = re.compile(r"/api/v1/projects/(\d+)/next")
SUBMIT = re.compile(r"/api/v1/projects/(\d+)/items/(\d+)/annotations")
ID = re.compile(r"\d+")
SESSION = SESSION_COOKIE.encode("latin-1")


class HotLane:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], api: FastAPI):
        self.app = app
        self.api = api
        # The FastAPI routes the lane stands in for (the latency histogram labels by them).
        routes = {getattr(r, "endpoint", None): r for r in work.router.routes}
        self.next_route, self.submit_route = routes[work.next_item], routes[work.submit]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        plain = scope["type"] == "http" and scope["method"] == "POST" and not scope["query_string"]
        token = _bearer(scope["headers"]) if plain else None
        if token is None:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if max(map(len, ID.findall(path)), default=0) > 9:
            # An id past the columns' 32-bit range: FastAPI answers it (404) like any other.
            await self.app(scope, receive, send)
            return
        if found := NEXT.fullmatch(path):
            scope["route"] = self.next_route
            call = _next(self._db(), token, int(found[1]))
        elif found := SUBMIT.fullmatch(path):
            scope["route"] = self.submit_route
            request = Request(scope, receive)
            try:
                raw = await request.body()
            except ClientDisconnect:
                return  # nobody is left to answer
            key = request.headers.get("idempotency-key")
            call = _submit(self._db(), token, int(found[1]), int(found[2]), raw, key)
        else:
            await self.app(scope, receive, send)
            return
        try:
            response: Response = await anyio.to_thread.run_sync(call)
        except LabelcrewError as error:
            response = errors.domain_response(error)
        except RequestValidationError as error:
            response = errors.validation_response(error)
        await response(scope, receive, send)

    def _db(self) -> Database:
        db: Database = self.api.state.db
        return db


def _next(db: Database, token: str, project_id: int) -> Callable[[], Response]:
    def call() -> Response:
        ctx = authorize_token(db, token, project_id, Action.TASK_WORK)
        return work.give_next(db, ctx, another=False)

    return call


def _submit(
    db: Database, token: str, project_id: int, item_id: int, raw: bytes, key: str | None
) -> Callable[[], Response]:
    def call() -> Response:
        ctx = authorize_token(db, token, project_id, Action.TASK_WORK)
        return work.take_submit(db, ctx, item_id, raw, key)

    return call


def _bearer(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The token of a well-formed bearer header, if the request carries no session cookie."""
    token = None
    for key, value in headers:
        if key == b"authorization":
            scheme, _, rest = value.decode("latin-1").partition(" ")
            token = rest.strip() if scheme.lower() == "bearer" else None
        elif key == b"cookie" and SESSION in value:
            return None
    return token or None


def install(app: FastAPI) -> None:
    """Put the lane inside the other middleware (CSRF, the latency histogram), so they see its
    requests as they see the routes'."""
    app.add_middleware(HotLane, api=app)
