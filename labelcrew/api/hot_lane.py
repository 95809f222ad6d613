"""Next and submit for bearer-token clients, answered before FastAPI's routing.

An annotator's client calls these two routes for every item, and FastAPI's per-request
machinery around them (walking the routes, building the Request, solving the dependencies,
the exception middleware) cost about as much CPU as the database work itself. The lane takes
only the plain case: POST, `Authorization: Bearer ...`, no session cookie, no query string.
What it does is the routes' own: `work.give_next` and `work.take_submit` do the work in a
worker thread after `security.authorize_token` (so an outsider gets 401 before any word
about the body, and before more of it is read than the server's first buffer: a body that
does not fit there is read only once the token is known), `errors` shapes every error, and
the latency histogram sees the route's template. Anything else (browser sessions and their CSRF check, `?another=true`, a malformed
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
from labelcrew.domain.permissions import Action
from labelcrew.errors import LabelcrewError
from labelcrew.http.auth import SESSION_COOKIE, Ctx, authorize_token
from labelcrew.services.uow import Database

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# At most 9 digits: an id past the columns' 32-bit range goes on to FastAPI, which answers it
# (404) like any other, and the lane's own match costs nothing more.
NEXT = re.compile(r"/api/v1/projects/(\d{1,9})/next")
SUBMIT = re.compile(r"/api/v1/projects/(\d{1,9})/items/(\d{1,9})/annotations")
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
        if found := NEXT.fullmatch(path):
            scope["route"] = self.next_route
            call = _next(self._db(), token, int(found[1]))
        elif found := SUBMIT.fullmatch(path):
            scope["route"] = self.submit_route
            db, project_id = self._db(), int(found[1])
            first = await receive()
            ctx = None
            if first["type"] == "http.request" and first.get("more_body", False):
                # More than the server's first buffer (an annotation is a few hundred bytes):
                # know the caller before reading the rest, so a junk token costs no upload.
                try:
                    ctx = await anyio.to_thread.run_sync(
                        authorize_token, db, token, project_id, Action.TASK_WORK
                    )
                except LabelcrewError as error:
                    await errors.domain_response(error)(scope, receive, send)
                    return
            request = Request(scope, _replay(first, receive))
            try:
                raw = await request.body()
            except ClientDisconnect:
                return  # nobody is left to answer
            key = request.headers.get("idempotency-key")
            call = _submit(db, token, project_id, int(found[2]), raw, key, ctx)
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
    db: Database,
    token: str,
    project_id: int,
    item_id: int,
    raw: bytes,
    key: str | None,
    ctx: Ctx | None,
) -> Callable[[], Response]:
    def call() -> Response:
        known = ctx or authorize_token(db, token, project_id, Action.TASK_WORK)
        return work.take_submit(db, known, item_id, raw, key)

    return call


def _replay(first: Message, receive: Receive) -> Receive:
    """`receive` with the message the lane already took put back in front."""
    pending: Message | None = first

    async def replay() -> Message:
        nonlocal pending
        if pending is not None:
            message, pending = pending, None
            return message
        return await receive()

    return replay


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
