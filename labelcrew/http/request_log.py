"""Logging for operators: text or JSON lines, and every line written during a request carries
that request's id and, once known, the caller's user id and project id.

Settings (environment):
  LABELCREW_LOG_FORMAT  text (default) or json: one JSON object per line, for a log shipper;
  LABELCREW_LOG_LEVEL   INFO (default), DEBUG, WARNING, ...;
  LABELCREW_ACCESS_LOG  true: one line per request (method, route, status, duration, ids).

The request id is the caller's `X-Request-ID` when it is a short plain token (a reverse proxy
that sets one ties its log to ours), else a new one; the answer carries it back either way.
The caller is noted by the permission checks (`note_caller`), which may run in a worker thread:
the context holds one mutable record per request, so what a thread notes the request's own
middleware sees.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID_HEADER = b"x-request-id"
GIVEN_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
_current: ContextVar[dict[str, Any] | None] = ContextVar("labelcrew_request", default=None)
access_log = logging.getLogger("labelcrew.access")


class LogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LABELCREW_", extra="ignore")
    log_format: str = "text"
    log_level: str = "INFO"
    access_log: bool = False


def note_caller(*, user_id: int | None = None, project_id: int | None = None) -> None:
    """Record who the current request is for (no-op outside a request)."""
    record = _current.get()
    if record is None:
        return
    if user_id is not None:
        record["user_id"] = user_id
    if project_id is not None:
        record["project_id"] = project_id


def current() -> dict[str, Any]:
    return dict(_current.get() or {})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,  # which of `serve --workers N`'s processes
        }
        out.update(current())
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            out.update(extra)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = current()
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            ids.update(fields)
        return line + "".join(f" {k}={v}" for k, v in ids.items()) if ids else line


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a record arrives, not the stream of the moment
    logging was configured (a test runner's captured stream may be closed by then)."""

    def __init__(self) -> None:
        super().__init__()
        self._fixed: Any = None  # a stream given by `setStream` (tests), else stderr

    @property
    def stream(self) -> Any:
        return getattr(self, "_fixed", None) or sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        self._fixed = value


def configure_logging(settings: LogSettings | None = None) -> None:
    """Route the `labelcrew` loggers to stderr in the configured format (idempotent)."""
    settings = settings or LogSettings()
    fmt = settings.log_format.lower()
    if fmt not in ("text", "json"):
        raise ValueError(f"LABELCREW_LOG_FORMAT must be 'text' or 'json', not {fmt!r}")
    level = logging.getLevelName(settings.log_level.upper())
    if not isinstance(level, int):
        raise ValueError(f"LABELCREW_LOG_LEVEL {settings.log_level!r} is not a logging level")
    handler = _Stderr()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger("labelcrew")
    root.handlers = [handler]
    root.setLevel(level)
    root.propagate = False
    access_log.disabled = not settings.access_log


class RequestLog:
    """Opens the request's log context, answers with its id, and writes the access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER)
        request_id = given.decode() if given and GIVEN_ID.fullmatch(given) else os.urandom(8).hex()
        record: dict[str, Any] = {"request_id": request_id}
        token = _current.set(record)
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER, request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if not access_log.disabled and access_log.isEnabledFor(logging.INFO):
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                access_log.info(
                    "%s %s %s",
                    scope["method"],
                    route,
                    status,
                    extra={
                        "fields": {
                            "method": scope["method"],
                            "route": route,
                            "path": scope["path"],
                            "status": status,
                            "ms": round((time.perf_counter() - start) * 1000, 2),
                        }
                    },
                )
            _current.reset(token)
