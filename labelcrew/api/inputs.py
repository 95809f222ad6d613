"""What every request body field is held to before a handler sees it.

Request models derive from `RequestModel`, and a route that takes a free-form JSON object
declares it as `JsonObject`: both refuse a NUL character anywhere in the value (nested values
and object keys included) with a 422 naming the field, on both databases, through the rule in
`labelcrew.domain.text_rules`. Without it PostgreSQL answers a NUL with a server error while
SQLite stores it. Integers are held to the 32-bit range of the id columns for the same reason.
`refuse_unstorable_parameters` does the same for query and path parameters and page forms; it
runs before authentication, which is harmless: an id no row can have is answered 404 whoever
asks, and a NUL 422, without a database query.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request, params
from pydantic import AfterValidator, BaseModel, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from labelcrew.domain.text_rules import NUL, NUL_MESSAGE, find_nul
from labelcrew.errors import NotFound, ValidationFailed

# The error type and context key `labelcrew.api.errors` reads to name a nested field.
NUL_ERROR = "nul_character"
INNER = "inner_loc"


def refuse_nul(value: Any) -> Any:
    """`value` unchanged, or a pydantic error whose `inner_loc` is the path below the field."""
    found = find_nul(value)
    if found is not None:
        raise PydanticCustomError(NUL_ERROR, NUL_MESSAGE, {INNER: found})
    return value


# Every id and count column is a 32-bit integer: PostgreSQL fails (500) on a larger parameter.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
INT_MESSAGE = f"must be an integer between {INT_MIN} and {INT_MAX}"


def _refuse_big(value: Any) -> None:
    entries = value if isinstance(value, list) else (value,)
    for index, entry in enumerate(entries):
        if type(entry) is int and not INT_MIN <= entry <= INT_MAX:
            where = {INNER: str(index)} if entries is value else {}
            raise PydanticCustomError("int_out_of_range", INT_MESSAGE, where)


class RequestModel(BaseModel):
    """The base of every request body model: no field may hold NUL, and no integer field (or
    list of integers) may leave the 32-bit range of the columns it is compared with."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        # A nested RequestModel has checked its own fields; find_nul passes over it.
        _refuse_big(value)
        return refuse_nul(value)


JsonObject = Annotated[dict[str, Any], AfterValidator(refuse_nul)]


async def refuse_unstorable_parameters(request: Request) -> None:
    """An app-wide dependency: no query or path parameter, nor a form field of a route that
    takes a form (the web pages), may hold NUL (a release name or an alert filter with NUL
    reached PostgreSQL and failed there) or an integer past 32 bits. Async, so it runs on the event loop; the query string
    is parsed only when it holds an escaped NUL, and a form only where FastAPI has already read
    it for the route (`request.form()` is cached), so no body is read here."""
    query = request.scope["query_string"]
    if b"%00" in query or len(query) >= 12:  # shorter than `a=` and 10 digits: nothing to see
        for name, value in request.query_params.multi_items():
            if NUL in value:
                raise ValidationFailed(f"{name} {NUL_MESSAGE}", field=name)
            if _too_big(value):
                raise ValidationFailed(f"{name} {INT_MESSAGE}", field=name)
    for name, value in request.path_params.items():
        if isinstance(value, str) and NUL in value:
            raise ValidationFailed(f"{name} {NUL_MESSAGE}", field=name)
        if isinstance(value, str) and _too_big(value):
            # No row has such an id: the answer an id that does not exist gets.
            raise NotFound(
                f"no {name.removesuffix('_id')} {value}",
                code=f"{name.removesuffix('_id')}_not_found",
                field=name,
            )
    if _takes_form(request.scope.get("route")):
        for name, entry in (await request.form()).multi_items():
            if isinstance(entry, str) and NUL in entry:
                raise ValidationFailed(f"{name} {NUL_MESSAGE}", field=name)


def _too_big(value: str) -> bool:
    digits = value.strip().removeprefix("-").removeprefix("+")
    return len(digits) > 9 and digits.isdigit() and not INT_MIN <= int(value) <= INT_MAX


def _takes_form(route: Any) -> bool:
    body = getattr(route, "body_field", None)
    return body is not None and isinstance(body.field_info, params.Form)
