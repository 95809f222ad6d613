"""Request bodies: capped per route, and not read at all for an API write without credentials.

FastAPI reads a route's body (to parse its body model) before it runs the dependencies that
authenticate the caller, so without this an outsider could make the server take in any amount
of data before the 401. This middleware sits outside everything else and, before a byte of
the body is read:

- refuses an API write (`/api/...`, a method other than GET/HEAD/OPTIONS) that carries no
  credential at all, neither an Authorization header nor the session cookie, with 401; the
  JSON sign-in is the one API write that needs none;
- refuses a body whose Content-Length is over the route's cap with 413;
- for a route whose cap is above the default (the import upload, which streams to a spool
  file), checks the credential itself, so a junk token cannot make the server spool gigabytes.

A body sent without Content-Length (chunked) is counted as it arrives and refused with 413 as
soon as it crosses the cap; the rest is never read (the route sees a client disconnect, and
whatever it then tries to answer is dropped). The cap is one dict lookup on the path's last
segment; the bearer lane (`hot_lane`) authenticates before it reads a submit's body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from starlette.requests import Request

from labelcrew.api import errors
from labelcrew.errors import LabelcrewError, TooLarge, Unauthenticated
from labelcrew.http.auth import SESSION_COOKIE, current_actor

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# API writes that need no credential: signing in (and out) of a browser session.
OPEN_PATHS = frozenset({"/api/v1/session"})
SESSION = SESSION_COOKIE.encode("latin-1")


class BodyLimits:
    def __init__(self, app: ASGIApp, *, default_cap: int, caps: dict[str, int]) -> None:
        self.app = app
        self.default_cap = default_cap
        # Keyed by the path's last segment (`items:import`): no route needs more to be told.
        self.caps = caps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        cap = self.caps.get(path.rpartition("/")[2], self.default_cap)
        length = b""
        credential = False
        for key, value in scope["headers"]:
            if key == b"content-length":
                length = value
            elif key == b"authorization":
                credential = credential or bool(value.strip())
            elif key == b"cookie" and SESSION in value:
                credential = True
        if not credential and path.startswith("/api/") and path not in OPEN_PATHS:
            await _answer(scope, receive, send, _no_credential())
            return
        if length and (not length.isdigit() or int(length) > cap):
            await _answer(scope, receive, send, _too_large(cap))
            return
        if cap > self.default_cap:
            # A large body is only taken from a caller who is known: a junk token gets its 401
            # before the upload is spooled.
            try:
                await anyio.to_thread.run_sync(current_actor, Request(scope))
            except LabelcrewError as error:
                await _answer(scope, receive, send, error)
                return
        if length:
            await self.app(scope, receive, send)  # the server holds the body to its length
            return
        await _Counted(self.app, cap, scope, receive, send).run()


class _Counted:
    """One chunked request: its body counted as it arrives, refused when it crosses the cap."""

    def __init__(self, app: ASGIApp, cap: int, scope: Scope, receive: Receive, send: Send):
        self.app, self.cap, self.scope = app, cap, scope
        self.outer_receive, self.outer_send = receive, send
        self.received = 0
        self.started = False
        self.refused = False

    async def run(self) -> None:
        try:
            await self.app(self.scope, self.receive, self.send)
        except Exception:
            if not self.refused:
                raise  # the route's own failure; a refused one only saw its body cut off

    async def receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self.outer_receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.cap:
                self.refused = True
                if not self.started:
                    await _answer(
                        self.scope, self.outer_receive, self.outer_send, _too_large(self.cap)
                    )
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # the 413 is out; what the route says about its cut-off body is not
        if message["type"] == "http.response.start":
            self.started = True
        await self.outer_send(message)


def _too_large(cap: int) -> TooLarge:
    return TooLarge(
        f"the request body is larger than the {cap} bytes this route accepts",
        code="body_too_large",
        details={"limit_bytes": cap},
    )


def _no_credential() -> Unauthenticated:
    # The words the routes' own check uses (`security.current_actor`).
    return Unauthenticated(
        "sign in or send 'Authorization: Bearer <token>'", code="unauthenticated"
    )


async def _answer(scope: Scope, receive: Receive, send: Send, error: LabelcrewError) -> None:
    response = errors.domain_response(error)
    if isinstance(error, TooLarge):
        # The client may still be sending: tell it the connection will not be reused.
        response.headers["connection"] = "close"
    await response(scope, receive, send)


def install(app: FastAPI) -> None:
    settings = app.state.settings
    app.add_middleware(
        BodyLimits,
        default_cap=settings.max_body_bytes,
        caps={"items:import": settings.max_import_bytes},
    )
