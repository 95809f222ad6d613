"""The lead's dashboard, project settings and the administrator's user list.

The dashboard embeds the numbers it plots as JSON (`#dashboard-data`), so what the charts draw
is exactly what the services returned. Capabilities that another part of labelcrew provides
(metrics, weekly snapshot) are used when they are installed and otherwise left out.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from labelcrew.domain.metrics.weekly_render import render_html
from labelcrew.domain.permissions import Action, Role
from labelcrew.errors import Conflict, NotFound, ValidationFailed
from labelcrew.http.auth import db_of, require_admin
from labelcrew.services.accounts import users as accounts
from labelcrew.services.metrics import dashboard as metrics
from labelcrew.services.metrics.weekly import snapshot as weekly
from labelcrew.services.platform import webhooks
from labelcrew.services.projects import batches, items, projects
from labelcrew.services.quality import alerts
from labelcrew.services.quality import measures as quality
from labelcrew.services.quality.field_agreement import agreement_by_field
from labelcrew.services.quality.gold_supply import gold_supply
from labelcrew.web.render import Page, PageRoute, project_page, redirect, render, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def dashboard_data(request: Request, project_id: int, page: Page) -> dict[str, Any]:
    db = db_of(request)
    data: dict[str, Any] = {
        "agreement_trend": quality.agreement_trend(db, project_id),
        "alerts": alerts.list_alerts(db, project_id),
        "batches": batches.list_batches(db, project_id),
        "gold": None,
        "metrics": None,
        "weekly": None,
    }
    try:
        data["gold"] = quality.gold_report(db, project_id)
    except Conflict as exc:  # no schema or no single-choice field: nothing to score
        data["gold_unavailable"] = exc.message
    data["gold_supply"] = gold_supply(db, project_id)
    try:
        data["field_agreement"] = agreement_by_field(db, project_id)
    except Conflict:  # no schema yet
        data["field_agreement"] = []
    data["metrics"] = metrics.project_metrics(db, project_id, group_by="day")
    # The same view of the snapshot as GET .../reports/weekly gives this caller.
    data["weekly"] = weekly.for_viewer(
        weekly.weekly_snapshot(db, project_id),
        user_id=page.actor.user_id,
        sees_everyone=page.actor.is_admin or "lead" in page.roles,
    )
    return data


@router.get("/projects/{project_id}/dashboard", response_class=HTMLResponse)
def dashboard(
    project_id: int,
    request: Request,
    page: Page = Depends(project_page(Action.QUALITY_READ)),
) -> Response:
    data = dashboard_data(request, project_id, page)
    return render(
        request,
        "dashboard.html",
        page,
        data=data,
        weekly_html=render_html(data["weekly"]),
        tab="dashboard",
    )


@router.get("/projects/{project_id}/settings", response_class=HTMLResponse)
def settings_page(
    project_id: int,
    request: Request,
    saved: str = "",
    page: Page = Depends(project_page(Action.PROJECT_READ)),
) -> Response:
    return _settings(request, page, project_id, saved=saved)


def _settings(
    request: Request, page: Page, project_id: int, *, saved: str = "", new_secret: str = ""
) -> Response:
    db = db_of(request)
    hooks = None
    if page.can(Action.WEBHOOK_MANAGE):
        hooks = [
            {**h, "deliveries": webhooks.list_deliveries(db, project_id, h["id"], limit=5)}
            for h in webhooks.list_webhooks(db, project_id)
        ]
    try:
        schema: dict[str, Any] | None = projects.get_schema(db, project_id)
    except NotFound:
        schema = None
    members = projects.list_members(db, project_id) if page.can(Action.MEMBER_READ) else []
    return render(
        request,
        "settings.html",
        page,
        tab="settings",
        schema=schema,
        schema_json=json.dumps(schema["definition"], indent=2) if schema else "",
        members=members,
        roles=[r.value for r in Role],
        saved=saved,
        show_gold=page.can(Action.GOLD_MANAGE),
        supply=gold_supply(db, project_id) if page.can(Action.GOLD_MANAGE) else None,
        hooks=hooks,
        new_secret=new_secret,
    )


@router.post("/projects/{project_id}/webhooks", response_class=HTMLResponse)
def add_webhook(
    project_id: int,
    request: Request,
    url: str = Form(...),
    events: str = Form("*"),
    page: Page = Depends(project_page(Action.WEBHOOK_MANAGE)),
) -> Response:
    """Add a webhook and show its signing secret once (never in a URL, never again)."""
    wanted = [e.strip() for e in events.replace(";", ",").split(",") if e.strip()] or ["*"]
    made = webhooks.create_webhook(db_of(request), page.actor, project_id, url=url, events=wanted)
    return _settings(request, page, project_id, saved="webhook", new_secret=made["secret"])


@router.post("/projects/{project_id}/settings")
def save_settings(
    project_id: int,
    request: Request,
    overlap: int = Form(...),
    wip_limit: int = Form(...),
    lease_seconds: int = Form(...),
    gold_rate: float = Form(...),
    probation_gold_rate: float = Form(...),
    page: Page = Depends(project_page(Action.PROJECT_UPDATE)),
) -> Response:
    projects.update_project(
        db_of(request),
        page.actor,
        project_id,
        {
            "overlap": overlap,
            "wip_limit": wip_limit,
            "lease_seconds": lease_seconds,
            "gold_rate": gold_rate,
            "probation_gold_rate": probation_gold_rate,
        },
    )
    return redirect(f"/projects/{project_id}/settings?saved=settings")


@router.post("/projects/{project_id}/schema")
def save_schema(
    project_id: int,
    request: Request,
    definition: str = Form(...),
    page: Page = Depends(project_page(Action.SCHEMA_UPDATE)),
) -> Response:
    try:
        parsed = json.loads(definition)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"the schema is not valid JSON: {exc.msg} at line {exc.lineno}", field="definition"
        ) from None
    if not isinstance(parsed, dict):
        raise ValidationFailed("the schema must be a JSON object", field="definition")
    projects.set_schema(db_of(request), page.actor, project_id, parsed)
    return redirect(f"/projects/{project_id}/settings?saved=schema")


@router.post("/projects/{project_id}/members")
def save_member(
    project_id: int,
    request: Request,
    username: str = Form(...),
    roles: list[str] = Form(default=[]),
    status: str = Form(""),
    page: Page = Depends(project_page(Action.MEMBER_MANAGE)),
) -> Response:
    projects.set_member(
        db_of(request),
        page.actor,
        project_id,
        username=username.strip(),
        roles=roles,
        status=status or None,
    )
    return redirect(f"/projects/{project_id}/settings?saved=members")


@router.post("/projects/{project_id}/gold")
def save_gold(
    project_id: int,
    request: Request,
    item_id: int = Form(...),
    value: str = Form(...),
    rule: str = Form(""),
    page: Page = Depends(project_page(Action.GOLD_MANAGE)),
) -> Response:
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"the gold answer is not valid JSON: {exc.msg}", field="value"
        ) from None
    if not isinstance(parsed, dict):
        raise ValidationFailed("the gold answer must be a JSON object", field="value")
    items.set_gold(db_of(request), page.actor, project_id, item_id, value=parsed, rule=rule or None)
    return redirect(f"/projects/{project_id}/settings?saved=gold")


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, page: Page = Depends(signed_in)) -> Response:
    require_admin(request)
    return render(request, "users.html", page, users=accounts.list_users(db_of(request)))


@router.post("/admin/users")
def create_user(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    display_name: str = Form(""),
    is_admin: bool = Form(False),
    page: Page = Depends(signed_in),
) -> Response:
    actor = require_admin(request)
    if len(password) < 8:
        raise ValidationFailed("a password needs at least 8 characters", field="password")
    accounts.create_user(
        db_of(request),
        actor,
        username=username.strip(),
        password=password,
        display_name=display_name.strip(),
        is_admin=is_admin,
    )
    return redirect("/admin/users")
