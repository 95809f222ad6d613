"""Item import: upload a JSONL, CSV or Label Studio file into a project; move a whole Label
Studio project in (config, tasks, labels, gold, predictions) and back out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile

from labelcrew.api.schemas.imports import (
    ImportReportOut,
    LabelStudioConfigOut,
    LabelStudioExportTask,
    LabelStudioReportOut,
)
from labelcrew.domain.permissions import Action
from labelcrew.http.auth import Ctx, db_of, require, require_admin
from labelcrew.services.accounts.users import Actor
from labelcrew.services.importing import imports as importing
from labelcrew.services.importing import labelstudio_import
from labelcrew.services.importing.labelstudio_mapping import users_by_id
from labelcrew.services.releases import labelstudio_format

# Full paths: the Label Studio import may create its project, so it has no project id yet.
router = APIRouter(tags=["items"])
PROJECT = "/api/v1/projects/{project_id}"


@router.post(f"{PROJECT}/items:import", response_model=ImportReportOut)
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


def _users(upload: UploadFile | None) -> dict[str, str] | None:
    # A form whose file input was left empty still sends the part, with no bytes.
    content = b"" if upload is None else upload.file.read()
    return users_by_id(content) if content.strip() else None


@router.post("/api/v1/projects:import-labelstudio", response_model=LabelStudioReportOut)
def import_labelstudio(
    request: Request,
    project: str = Form(..., description="Project slug; created when it does not exist"),
    file: UploadFile = File(..., description="Label Studio export: JSON, JSON_MIN or CSV"),
    config: UploadFile = File(..., description="The Label Studio labeling config (XML)"),
    name: str | None = Form(None, description="Name of a new project"),
    format: str | None = Form(None, description="json, json_min or csv (default: detected)"),
    dry_run: bool = Form(False, description="Report what would be created; write nothing"),
    annotators: UploadFile | None = File(
        None, description="Label Studio's GET /api/users, when the export names users by id"
    ),
    actor: Actor = Depends(require_admin),
) -> Any:
    """Administrators only: the import creates projects and (inactive) users. All or nothing:
    any region that does not fit the schema answers 422 `labelstudio_rejected`, each problem
    named by task and annotation in `details.errors`."""
    report = labelstudio_import.import_labelstudio(
        db_of(request),
        actor,
        project,
        config_xml=config.file.read().decode("utf-8"),
        export=file.file.read(),
        filename=file.filename or "export.json",
        fmt=format,
        name=name,
        dry_run=dry_run,
        annotators=_users(annotators),
    )
    return report.to_dict()


# The body is returned as built (a Response is not re-validated); the model documents it.
@router.get(f"{PROJECT}/labelstudio:export", response_model=list[LabelStudioExportTask])
def export_labelstudio(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.EXPORT))
) -> Response:
    file = labelstudio_format.export_project(db_of(request), ctx.actor, project_id)
    return Response(
        file.content,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )


@router.get(f"{PROJECT}/labelstudio:config", response_model=LabelStudioConfigOut)
def labelstudio_config(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.EXPORT))
) -> Any:
    """The labeling config (XML) the project's Label Studio exports are written for."""
    return {"config": labelstudio_format.config_of(db_of(request), project_id)}
