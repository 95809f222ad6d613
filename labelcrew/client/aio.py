"""`AsyncClient`: the labelcrew API over an asyncio httpx client (the same calls as `Client`)."""

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


class AsyncClient:
    """`async with AsyncClient(url, token=...) as lc: await lc.projects()`; `http=` takes an
    `httpx.AsyncClient` (an ASGI transport in tests). Refusals raise `ApiError` subclasses."""

    def __init__(
        self,
        url: str = "",
        token: str | None = None,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.http = http or httpx.AsyncClient(base_url=url, timeout=timeout)
        if token is not None:
            self.http.headers["Authorization"] = f"Bearer {token}"

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self.http.aclose()

    async def send(self, call: calls.Call[T]) -> T:
        response = await self.http.request(
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

    async def projects(self) -> list[ProjectOut]:
        return await self.send(calls.projects())

    async def project(self, project_id: int) -> ProjectOut:
        return await self.send(calls.project(project_id))

    async def import_items(
        self,
        project_id: int,
        content: bytes,
        filename: str = "items.jsonl",
        *,
        fmt: str | None = None,
        skip_invalid: bool = False,
    ) -> ImportReportOut:
        return await self.send(calls.import_items(project_id, content, filename, fmt, skip_invalid))

    async def import_labelstudio(
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
        return await self.send(
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

    async def export_labelstudio(self, project_id: int) -> list[LabelStudioExportTask]:
        return await self.send(calls.export_labelstudio(project_id))

    async def next_item(self, project_id: int) -> NextItemOut:
        return await self.send(calls.next_item(project_id))

    async def submit(
        self,
        project_id: int,
        item_id: int,
        value: dict[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> SubmittedAnnotationOut:
        return await self.send(calls.submit(project_id, item_id, value, idempotency_key))

    async def releases(self, project_id: int) -> list[ReleaseSummaryOut]:
        return await self.send(calls.releases(project_id))

    async def create_release(
        self, project_id: int, name: str, *, method: str = "ds", min_confidence: float | None = None
    ) -> ReleaseOut:
        return await self.send(calls.create_release(project_id, name, method, min_confidence))

    async def export_release(self, project_id: int, name: str, fmt: str = "jsonl") -> bytes:
        return await self.send(calls.export_release(project_id, name, fmt))

    async def metrics(self, project_id: int) -> ProjectMetricsOut:
        return await self.send(calls.metrics(project_id))
