"""A JSON response rendered with orjson: used by the hot path and by the error handlers."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class FastJSON(JSONResponse):
    """A JSONResponse to FastAPI (so OpenAPI documents each route's JSON body, not a string),
    rendered by orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
