"""Response models of the HTTP API, one module per capability (as `api/routes/`).

Every route under /api/v1 declares one (`response_model=`), so /openapi.json describes each
body and a client can be generated from it (tests/integration/api/test_openapi_client.py). They are
`Out` models: an undeclared key in what a service returns is an error (a 500 in tests and in
schemathesis), never a key silently dropped or an undocumented one passed on. A key that only
some callers get (staff-only figures, say) is `X | None = None` and the route sets
`response_model_exclude_unset=True`, so an absent key stays absent instead of turning into null.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema


class Out(BaseModel):
    """Base of every response model: unknown keys are refused, not dropped."""

    model_config = ConfigDict(extra="forbid")


# A timestamp a service hands over as a datetime, rendered as every other timestamp in the API
# is (`datetime.isoformat()`: `+00:00`, never pydantic's `Z`), documented as date-time.
When = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
