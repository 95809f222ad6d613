"""Every API route declares what it answers: a response model (so /openapi.json describes the
body and a generated client gets typed objects), or no body (204), or its own non-JSON media
type (CSV, Parquet, HTML). A route added with `-> Any` and nothing else fails here."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

from labelcrew.app import create_app
from tests.integration.api.test_route_roles import _api_routes as walk

OPS = ("get", "post", "put", "patch", "delete")


def _api_routes() -> list[APIRoute]:
    return [r for r in walk(create_app().routes) if r.path.startswith("/api/")]


def _declares_media(route: APIRoute) -> bool:
    for answer in route.responses.values():
        content = answer.get("content", {})
        if any(media != "application/json" for media in content):
            return True
    return False


def test_every_api_route_declares_its_response() -> None:
    routes = _api_routes()
    assert len(routes) > 100
    bare = [
        f"{sorted(r.methods)} {r.path}"
        for r in routes
        if r.response_model is None and r.status_code != 204 and not _declares_media(r)
    ]
    assert bare == []


def _schema_of(operation: dict[str, Any]) -> list[tuple[str, Any]]:
    found = []
    for status, answer in operation.get("responses", {}).items():
        if not status.startswith("2"):
            continue
        for media, body in answer.get("content", {}).items():
            found.append((media, body.get("schema")))
    return found


def test_openapi_describes_every_json_success_body() -> None:
    spec = create_app().openapi()
    empty = []
    for path, item in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for op in OPS:
            if op not in item:
                continue
            for media, schema in _schema_of(item[op]):
                if media == "application/json" and not schema:
                    empty.append(f"{op.upper()} {path}")
    assert empty == []


def test_success_schemas_name_their_fields() -> None:
    """A JSON success body is an object with properties, a list of them, or a named component;
    never an untyped object (`{"type": "object"}` with nothing declared)."""
    spec = create_app().openapi()
    untyped = []
    for path, item in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for op in OPS:
            for media, schema in _schema_of(item.get(op, {})):
                if media == "application/json" and schema == {"type": "object"}:
                    untyped.append(f"{op.upper()} {path}")
    assert untyped == []
