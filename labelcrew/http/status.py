"""The HTTP status of each typed error (`labelcrew.errors`): the API's error bodies and the
web pages' error pages both take it from here."""

from __future__ import annotations

from labelcrew.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    LabelcrewError,
    NotFound,
    Throttled,
    TooLarge,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)

STATUS: dict[type[LabelcrewError], int] = {
    BadRequest: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    ValidationFailed: 422,
    Throttled: 429,
    Unavailable: 503,
}


def status_for(exc: LabelcrewError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400
