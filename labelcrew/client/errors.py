"""The API's error body (`{"code", "message", "field"?, "details"?}`) as typed exceptions, one
class per HTTP status family, so callers catch `NotFoundError` rather than test numbers."""

from __future__ import annotations

from typing import Any

import httpx


class ApiError(Exception):
    """Any refusal of the server: its status, stable `code`, `message` and the bad `field`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.field, self.details = field, details or {}


class BadRequestError(ApiError):
    """400: a malformed request."""


class AuthenticationError(ApiError):
    """401: no valid token or session."""


class PermissionDeniedError(ApiError):
    """403: the caller's roles do not allow it."""


class NotFoundError(ApiError):
    """404."""


class ConflictError(ApiError):
    """409: the state does not allow it (a release name taken, no schema yet...)."""


class UnprocessableError(ApiError):
    """422: a value, row or region that does not validate; `details` lists them."""


class RateLimitedError(ApiError):
    """429."""


class ServerError(ApiError):
    """5xx."""


BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableError,
    429: RateLimitedError,
}


def raise_for(response: httpx.Response) -> None:
    """Raise the typed error of a refused response; a success passes."""
    if response.is_success:
        return
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    kind = BY_STATUS.get(
        response.status_code, ServerError if response.status_code >= 500 else ApiError
    )
    raise kind(
        response.status_code,
        str(body.get("code") or "http_error"),
        str(body.get("message") or response.reason_phrase or "request refused"),
        body.get("field"),
        body.get("details") if isinstance(body.get("details"), dict) else None,
    )
