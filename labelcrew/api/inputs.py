"""What every request body field is held to before a handler sees it.

Request models derive from `RequestModel`, and a route that takes a free-form JSON object
declares it as `JsonObject`: both refuse a NUL character anywhere in the value (nested values
and object keys included) with a 422 naming the field, on both databases, through the rule in
`labelcrew.domain.text_rules`. Without it PostgreSQL answers a NUL with a server error while
SQLite stores it. `refuse_nul_parameters` does the same for query and path parameters.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request, params
from pydantic import AfterValidator, BaseModel, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from labelcrew.domain.text_rules import NUL, NUL_MESSAGE, find_nul
from labelcrew.errors import ValidationFailed

# The error type and context key `labelcrew.api.errors` reads to name a nested field.
NUL_ERROR = "nul_character"
INNER = "inner_loc"


def refuse_nul(value: Any) -> Any:
    """`value` unchanged, or a pydantic error whose `inner_loc` is the path below the field."""
    found = find_nul(value)
    if found is not None:
        raise PydanticCustomError(NUL_ERROR, NUL_MESSAGE, {INNER: found})
    return value


class RequestModel(BaseModel):
    """The base of every request body model: no field may hold NUL."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any, info: ValidationInfo) -> Any:
        # A nested RequestModel has checked its own fields; find_nul passes over it.
        return refuse_nul(value)


JsonObject = Annotated[dict[str, Any], AfterValidator(refuse_nul)]


async def refuse_nul_parameters(request: Request) -> None:
    """An app-wide dependency: no query or path parameter, nor a form field of a route that
    takes a form (the web pages), may hold NUL (a release name or an alert filter with NUL
    reached PostgreSQL and failed there). Async, so it runs on the event loop; the query string
    is parsed only when it holds an escaped NUL, and a form only where FastAPI has already read
    it for the route (`request.form()` is cached), so no body is read here."""
    if b"%00" in request.scope["query_string"]:
        for name, value in request.query_params.multi_items():
            if NUL in value:
                raise ValidationFailed(f"{name} {NUL_MESSAGE}", field=name)
    for name, value in request.path_params.items():
        if isinstance(value, str) and NUL in value:
            raise ValidationFailed(f"{name} {NUL_MESSAGE}", field=name)
    if _takes_form(request.scope.get("route")):
        for name, entry in (await request.form()).multi_items():
            if isinstance(entry, str) and NUL in entry:
                raise ValidationFailed(f"{name} {NUL_MESSAGE}", field=name)


def _takes_form(route: Any) -> bool:
    body = getattr(route, "body_field", None)
    return body is not None and isinstance(body.field_info, params.Form)
