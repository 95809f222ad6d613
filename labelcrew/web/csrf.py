"""CSRF protection for browser sessions: a double-submit token.

Every browser gets a random `labelcrew_csrf` cookie (HttpOnly, SameSite=Strict). Pages embed
the same value in each form (`csrf_token` field) and in a `<meta name="csrf-token">` tag that
the page scripts send back as the `X-CSRF-Token` header. A state-changing request that rides
on ambient browser credentials (the session cookie, whatever other headers ride with it, or
any form post to a page route, sign-in included) must carry the token, or it is refused with
403 `csrf_failed`. API calls without the session cookie (bearer-token clients) carry no
ambient credential and are left alone. The token rotates at sign-in so a value
planted before sign-in is worthless after it.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labelcrew.http.auth import SESSION_COOKIE

CSRF_COOKIE = "labelcrew_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 1_000_000
# The JSON sign-in/out of the API: a JSON body cannot be sent cross-site without a CORS
# preflight, and re-signing-in while a session cookie rides must keep answering 401, not 403.
EXEMPT_PATHS = frozenset({"/api/v1/session"})


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_of(request: Request) -> str:
    """The token pages embed: the browser's cookie, or the one the middleware is about to set."""
    return str(request.scope.get("labelcrew.csrf") or request.cookies.get(CSRF_COOKIE) or "")


def set_cookie_header(token: str, *, secure: bool) -> bytes:
    flags = "; Path=/; HttpOnly; SameSite=Strict" + ("; Secure" if secure else "")
    return f"{CSRF_COOKIE}={token}{flags}".encode("latin-1")


def _cookie(headers: dict[bytes, bytes], name: str) -> str | None:
    raw = headers.get(b"cookie", b"").decode("latin-1")
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _needs_check(method: str, path: str, headers: dict[bytes, bytes]) -> bool:
    if method in SAFE_METHODS or path in EXEMPT_PATHS:
        return False
    # Whenever the session cookie rides, whatever else the request carries: a cross-site form
    # cannot set an Authorization header, but the route may still read the cookie (an empty or
    # malformed header must not turn the check off). Page routes always (a forged sign-in is
    # an attack too). Only an API call without the cookie (a bearer-token client) is left alone.
    return not path.startswith("/api/") or _cookie(headers, SESSION_COOKIE) is not None


def _is_token_call(path: str, headers: dict[bytes, bytes]) -> bool:
    """An API call without a session cookie (a bearer-token client) has no use for a CSRF
    cookie: it never posts a form, so none is issued."""
    return path.startswith("/api/") and _cookie(headers, SESSION_COOKIE) is None


class CSRFMiddleware:
    """Pure ASGI so a form body read for its token can be replayed to the route unchanged."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        expected = _cookie(headers, CSRF_COOKIE)
        if _needs_check(scope["method"], scope["path"], headers):
            given = headers.get(CSRF_HEADER.encode(), b"").decode("latin-1")
            if not given and headers.get(b"content-type", b"").startswith(FORM_TYPE.encode()):
                body, receive = await _buffer(receive)
                values = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD, [""])
                given = values[0]
            if not expected or not given or not hmac.compare_digest(expected, given):
                await _refuse(send)
                return
        if expected or _is_token_call(scope["path"], headers):
            await self.app(scope, receive, send)
            return
        token = new_token()
        scope["labelcrew.csrf"] = token

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"set-cookie", set_cookie_header(token, secure=self.secure)),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            break
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _refuse(send: Send) -> None:
    body = orjson.dumps(
        {
            "code": "csrf_failed",
            "message": "missing or wrong CSRF token; reload the page and try again",
            "field": CSRF_FIELD,
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
