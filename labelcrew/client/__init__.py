"""A typed Python client of the labelcrew HTTP API, over httpx: `Client` (blocking) and
`AsyncClient` (asyncio) make the same calls (`calls`) and return the API's own response
models; a refusal raises an `ApiError` subclass carrying `code`, `message` and `field`.

    from labelcrew.client import Client
    with Client("https://labelcrew.example", token="lc_...") as lc:
        report = lc.import_labelstudio("reviews", export_bytes, config_xml, dry_run=True)

It covers projects, item import, the Label Studio import and export, next/submit, releases
(create, list, export) and metrics.
"""

from labelcrew.client.aio import AsyncClient
from labelcrew.client.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnprocessableError,
)
from labelcrew.client.sync import Client

__all__ = [
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServerError",
    "UnprocessableError",
]
