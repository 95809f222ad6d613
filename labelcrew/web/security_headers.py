"""Security headers on every response, pages, API, static files and errors alike.

The Content-Security-Policy allows scripts from this origin only: the templates hold no inline
script and no inline event handler (the page scripts in `static/` bind their handlers), and
the JSON a page hands its script rides in a `<script type="application/json">` data block,
which the browser never runs. Styles allow 'unsafe-inline' because Plotly (the dashboard
charts) writes its own `<style>` rules at run time; no template uses a style attribute.
`frame-ancestors 'none'` with `X-Frame-Options: DENY` (for browsers older than CSP 2) keeps
every page out of frames (clickjacking).

Pure ASGI, and the header list is built once: the hot path pays one list concatenation.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode("latin-1")),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)
