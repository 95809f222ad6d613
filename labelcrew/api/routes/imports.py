"""Item import: upload a JSONL, CSV or Label Studio file into a project."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Request, UploadFile

from labelcrew.api.schemas.imports import ImportReportOut
from labelcrew.domain.permissions import Action
from labelcrew.http.auth import Ctx, db_of, require
from labelcrew.services.importing import imports as importing

router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["items"])


@router.post("/items:import", response_model=ImportReportOut)
def import_items(
    project_id: int,
    request: Request,
    file: UploadFile = File(..., description="JSONL, CSV or Label Studio JSON"),
    format: str | None = None,
    skip_invalid: bool = False,
    max_errors: int = 100,
    ctx: Ctx = Depends(require(Action.ITEM_IMPORT)),
) -> Any:
    """All or nothing by default: any bad row answers 422 `import_rejected` with every bad line
    (up to `max_errors`) and the total count. With `skip_invalid` the good rows are imported
    and the bad ones are listed in the report's `errors`."""
    # The upload is spooled to a temporary file by the form parser; the service reads it
    # front to back in chunks, so a large file is never held in memory.
    settings = request.app.state.settings
    report = importing.import_items(
        db_of(request),
        ctx.actor,
        project_id,
        file.file,
        filename=file.filename or "upload",
        fmt=format,
        skip_invalid=skip_invalid,
        max_errors=max_errors,
        max_field_bytes=settings.import_max_field_bytes,
        max_row_bytes=settings.import_max_row_bytes,
    )
    return report.to_dict()
