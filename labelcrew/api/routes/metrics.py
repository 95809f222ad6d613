"""Metrics and the weekly snapshot."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse

from labelcrew.api.schemas.metrics import ProjectMetricsOut
from labelcrew.api.schemas.metrics_weekly import WeeklyPublishedOut, WeeklySnapshotOut
from labelcrew.domain.metrics.weekly_render import render_html, render_markdown
from labelcrew.domain.permissions import Action, allowed
from labelcrew.errors import ValidationFailed
from labelcrew.http.auth import Ctx, db_of, require
from labelcrew.services.metrics import dashboard as metrics
from labelcrew.services.metrics.weekly import snapshot as weekly

router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["metrics"])
FORMATS = ("json", "md", "html")


@router.get("/metrics", response_model=ProjectMetricsOut, response_model_exclude_unset=True)
def project_metrics(
    project_id: int,
    request: Request,
    date_from: str | None = Query(None, alias="from", description="First day, 2026-11-01"),
    date_to: str | None = Query(None, alias="to", description="Last day (inclusive)"),
    group_by: str | None = Query("day", description="day, week, member, batch or queue"),
    member_id: int | None = None,
    batch_id: int | None = None,
    ctx: Ctx = Depends(require(Action.METRICS_READ)),
) -> Any:
    return metrics.project_metrics(
        db_of(request),
        project_id,
        date_from=date_from,
        date_to=date_to,
        group_by=group_by or None,
        member_id=member_id,
        batch_id=batch_id,
    )


@router.get(
    "/reports/weekly",
    response_model=WeeklySnapshotOut,
    response_model_exclude_unset=True,
    responses={
        200: {
            "content": {"text/markdown": {}, "text/html": {}},
            "description": "The snapshot: JSON, or rendered as Markdown or HTML (`format`).",
        }
    },
)
def weekly_report(
    project_id: int,
    request: Request,
    week: str | None = Query(None, description="ISO week, 2026-W47 (default: last week)"),
    format: str = Query("json", description="json, md or html"),
    ctx: Ctx = Depends(require(Action.REPORT_READ)),
) -> Any:
    if format not in FORMATS:
        raise ValidationFailed(
            f"format must be one of {', '.join(FORMATS)}", field="format", code="bad_format"
        )
    # Annotators: completed weeks only, without live item counts (issue 14, gold leaks).
    staff = allowed(Action.BATCH_DETAIL_READ, ctx.roles, is_admin=ctx.actor.is_admin)
    snapshot = weekly.for_viewer(
        weekly.weekly_snapshot(db_of(request), project_id, week, closed_only=not staff),
        user_id=ctx.actor.user_id,
        sees_everyone=ctx.actor.is_admin or "lead" in ctx.roles,
        item_counts=staff,
    )
    if format == "md":
        return PlainTextResponse(render_markdown(snapshot), media_type="text/markdown")
    if format == "html":
        return HTMLResponse(render_html(snapshot))
    return snapshot


@router.post("/reports/weekly/publish", response_model=WeeklyPublishedOut)
def publish_weekly(
    project_id: int,
    request: Request,
    week: str | None = Query(None, description="ISO week, 2026-W47 (default: last week)"),
    ctx: Ctx = Depends(require(Action.REPORT_PUBLISH)),
) -> Any:
    return weekly.publish_weekly(db_of(request), project_id, week)
