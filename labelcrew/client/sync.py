"""`Client`: the labelcrew API over a blocking httpx client."""

from __future__ import annotations

from types import TracebackType
from typing import Any, TypeVar

import httpx

from labelcrew.api.schemas.imports import (
    ImportReportOut,
    LabelStudioExportTask,
    LabelStudioReportOut,
)
from labelcrew.api.schemas.metrics import ProjectMetricsOut
from labelcrew.api.schemas.projects import ProjectOut
from labelcrew.api.schemas.releases import ReleaseOut, ReleaseSummaryOut
from labelcrew.api.schemas.work import NextItemOut, SubmittedAnnotationOut
from labelcrew.client import calls
from labelcrew.client.errors import raise_for

T = TypeVar("T")


class Client:
    """`Client("https://labelcrew.example", token="lc_...")`, or over a given httpx client
    (`http=`, e.g. a test client). Every method raises `ApiError` subclasses on refusal."""

    def __init__(
        self,
        url: str = "",
        token: str | None = None,
        *,
        http: httpx.Client | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.http = http or httpx.Client(base_url=url, timeout=timeout)
        if token is not None:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def send(self, call: calls.Call[T]) -> T:
        response = self.http.request(
            call.method,
            call.path,
            params=call.params,
            json=call.json,
            data=call.data,
            files=call.files,
            headers=call.headers,
        )
        raise_for(response)
        return call.read(response)

    def projects(self) -> list[ProjectOut]:
        return self.send(calls.projects())

    def project(self, project_id: int) -> ProjectOut:
        return self.send(calls.project(project_id))

    def import_items(
        self,
        project_id: int,
        content: bytes,
        filename: str = "items.jsonl",
        *,
        fmt: str | None = None,
        skip_invalid: bool = False,
    ) -> ImportReportOut:
        return self.send(calls.import_items(project_id, content, filename, fmt, skip_invalid))

    def import_labelstudio(
        self,
        project: str,
        export: bytes,
        config: str,
        *,
        filename: str = "export.json",
        name: str | None = None,
        fmt: str | None = None,
        dry_run: bool = False,
        annotators: bytes | None = None,
    ) -> LabelStudioReportOut:
        return self.send(
            calls.import_labelstudio(
                project,
                export,
                config,
                filename=filename,
                name=name,
                fmt=fmt,
                dry_run=dry_run,
                annotators=annotators,
            )
        )

    def export_labelstudio(self, project_id: int) -> list[LabelStudioExportTask]:
        return self.send(calls.export_labelstudio(project_id))

    def next_item(self, project_id: int) -> NextItemOut:
        return self.send(calls.next_item(project_id))

    def submit(
        self,
        project_id: int,
        item_id: int,
        value: dict[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> SubmittedAnnotationOut:
        return self.send(calls.submit(project_id, item_id, value, idempotency_key))

    def releases(self, project_id: int) -> list[ReleaseSummaryOut]:
        return self.send(calls.releases(project_id))

    def create_release(
        self, project_id: int, name: str, *, method: str = "ds", min_confidence: float | None = None
    ) -> ReleaseOut:
        return self.send(calls.create_release(project_id, name, method, min_confidence))

    def export_release(self, project_id: int, name: str, fmt: str = "jsonl") -> bytes:
        return self.send(calls.export_release(project_id, name, fmt))

    def metrics(self, project_id: int) -> ProjectMetricsOut:
        return self.send(calls.metrics(project_id))
