"""Typed errors of the domain and services.

Each error carries a stable machine code, a human message that names the bad field, line or
value, and optional details. The API maps the class to an HTTP status in one place
(`labelcrew.api.errors`); nothing below the API knows about HTTP.
"""

from __future__ import annotations

from typing import Any


class LabelcrewError(Exception):
    """Base of every error labelcrew raises on purpose."""

    code = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class BadRequest(LabelcrewError):
    """The request is malformed (bad header, bad query parameter)."""

    code = "bad_request"


class ValidationFailed(LabelcrewError):
    """A value does not satisfy its schema, or an input row is invalid."""

    code = "validation_failed"


class Unauthenticated(LabelcrewError):
    """No valid credentials were presented."""

    code = "unauthenticated"


class Forbidden(LabelcrewError):
    """The caller is known but may not perform this action."""

    code = "forbidden"


class NotFound(LabelcrewError):
    """The named entity does not exist (or is invisible to the caller)."""

    code = "not_found"


class Conflict(LabelcrewError):
    """The action conflicts with current state (locked schema, expired lease, WIP limit...)."""

    code = "conflict"


class Unavailable(LabelcrewError):
    """A temporary condition (the database is busy); the same request may succeed later."""

    code = "unavailable"


class TooLarge(LabelcrewError):
    """The request (its body) is larger than the route accepts."""

    code = "too_large"


class Throttled(LabelcrewError):
    """Too many attempts (or too many at once); `retry_after` seconds from now may succeed."""

    code = "throttled"

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))
        self.details.setdefault("retry_after_seconds", self.retry_after)
