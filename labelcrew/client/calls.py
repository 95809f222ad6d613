"""Each endpoint the client covers, once: the request it makes and how its answer is read.
`Client` and `AsyncClient` only send these; the answer types are the API's own response
models (`labelcrew.api.schemas`), so a client object is exactly what /openapi.json documents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx
from pydantic import TypeAdapter

from labelcrew.api.schemas.imports import (
    ImportReportOut,
    LabelStudioExportTask,
    LabelStudioReportOut,
)
from labelcrew.api.schemas.metrics import ProjectMetricsOut
from labelcrew.api.schemas.projects import ProjectOut
from labelcrew.api.schemas.releases import ReleaseOut, ReleaseSummaryOut
from labelcrew.api.schemas.work import NextItemOut, SubmittedAnnotationOut

T = TypeVar("T")
API = "/api/v1"


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    read: Callable[[httpx.Response], T]
    params: dict[str, Any] | None = None
    json: Any = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _model(kind: Any) -> Callable[[httpx.Response], Any]:
    adapter: TypeAdapter[Any] = TypeAdapter(kind)
    return lambda response: adapter.validate_json(response.content)


def _bytes(response: httpx.Response) -> bytes:
    return response.content


def projects() -> Call[list[ProjectOut]]:
    return Call("GET", f"{API}/projects", _model(list[ProjectOut]))


def project(project_id: int) -> Call[ProjectOut]:
    return Call("GET", f"{API}/projects/{project_id}", _model(ProjectOut))


def import_items(
    project_id: int, content: bytes, filename: str, fmt: str | None, skip_invalid: bool
) -> Call[ImportReportOut]:
    params: dict[str, Any] = {"skip_invalid": skip_invalid}
    if fmt:
        params["format"] = fmt
    return Call(
        "POST",
        f"{API}/projects/{project_id}/items:import",
        _model(ImportReportOut),
        params=params,
        files={"file": (filename, content)},
    )


def import_labelstudio(
    project: str,
    export: bytes,
    config: str,
    *,
    filename: str,
    name: str | None,
    fmt: str | None,
    dry_run: bool,
    annotators: bytes | None,
) -> Call[LabelStudioReportOut]:
    data: dict[str, Any] = {"project": project, "dry_run": str(dry_run).lower()}
    if name:
        data["name"] = name
    if fmt:
        data["format"] = fmt
    files: dict[str, Any] = {"file": (filename, export), "config": ("config.xml", config.encode())}
    if annotators is not None:
        files["annotators"] = ("users.json", annotators)
    return Call(
        "POST",
        f"{API}/projects:import-labelstudio",
        _model(LabelStudioReportOut),
        data=data,
        files=files,
    )


def export_labelstudio(project_id: int) -> Call[list[LabelStudioExportTask]]:
    return Call(
        "GET",
        f"{API}/projects/{project_id}/labelstudio:export",
        _model(list[LabelStudioExportTask]),
    )


def next_item(project_id: int) -> Call[NextItemOut]:
    return Call("POST", f"{API}/projects/{project_id}/next", _model(NextItemOut))


def submit(
    project_id: int, item_id: int, value: dict[str, Any], idempotency_key: str | None
) -> Call[SubmittedAnnotationOut]:
    headers = {} if idempotency_key is None else {"Idempotency-Key": idempotency_key}
    return Call(
        "POST",
        f"{API}/projects/{project_id}/items/{item_id}/annotations",
        _model(SubmittedAnnotationOut),
        json={"value": value},
        headers=headers,
    )


def releases(project_id: int) -> Call[list[ReleaseSummaryOut]]:
    return Call("GET", f"{API}/projects/{project_id}/releases", _model(list[ReleaseSummaryOut]))


def create_release(
    project_id: int, name: str, method: str, min_confidence: float | None
) -> Call[ReleaseOut]:
    body = {"name": name, "method": method, "min_confidence": min_confidence}
    return Call("POST", f"{API}/projects/{project_id}/releases", _model(ReleaseOut), json=body)


def export_release(project_id: int, name: str, fmt: str) -> Call[bytes]:
    return Call(
        "GET",
        f"{API}/projects/{project_id}/releases/{name}/export",
        _bytes,
        params={"format": fmt},
    )


def metrics(project_id: int) -> Call[ProjectMetricsOut]:
    return Call("GET", f"{API}/projects/{project_id}/metrics", _model(ProjectMetricsOut))
