"""Sign-in, the project list and the annotator workspace (with the acknowledgement gate).

The workspace page leases the annotator's item through `assignment.next_item` (their own
unexpired lease comes back first, so reloading is safe) and reads the schema and rules beside it
through `workspace_view.lease_view` (indexed lookups only: the page must stay fast at 1M items);
the page script submits and skips through the JSON API with the session cookie and the CSRF
header.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from labelcrew.domain.permissions import Action
from labelcrew.domain.work import selfcheck as selfcheck_rules
from labelcrew.errors import Forbidden, NotFound, Throttled, Unauthenticated
from labelcrew.http.auth import SESSION_COOKIE, db_of, session_token, start_session
from labelcrew.services.accounts import login_guard, sessions
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.projects import projects
from labelcrew.services.work import assignment, selfcheck, workspace_view
from labelcrew.web.csrf import CSRF_COOKIE, new_token, set_cookie_header
from labelcrew.web.render import (
    Page,
    PageRoute,
    local_path,
    project_page,
    redirect,
    render,
    signed_in,
)
from labelcrew.web.widgets import fields_of, shown_payload

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", None, next=local_path(next), error=None, username="")


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
) -> Response:
    try:
        address = request.client.host if request.client else None
        actor = login_guard.sign_in(db_of(request), username, password, address=address)
    except (Unauthenticated, Throttled) as exc:
        page = render(
            request,
            "login.html",
            None,
            status_code=429 if isinstance(exc, Throttled) else 401,
            next=local_path(next),
            error=exc.message,
            username=username,
        )
        if isinstance(exc, Throttled):
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    settings = request.app.state.settings
    secure = settings.environment != "development"
    response = redirect(local_path(next))
    start_session(request, response, actor)
    # A fresh CSRF token with the fresh session: one planted before sign-in stops working.
    response.headers.append("set-cookie", set_cookie_header(new_token(), secure=secure).decode())
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    try:
        token = session_token(request)
    except Unauthenticated:
        token = None  # not our cookie: nothing to revoke
    if token is not None:
        sessions.end(db_of(request), token)  # a copy of the cookie dies with it
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, page: Page = Depends(signed_in)) -> Response:
    db = db_of(request)
    rows = []
    for project in projects.list_projects(db, page.actor):
        roles = projects.member_roles(db, project["id"], page.actor.user_id) or frozenset()
        rows.append({**project, "roles": sorted(roles)})
    return render(request, "home.html", page, projects=rows)


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_home(
    project_id: int, page: Page = Depends(project_page(Action.PROJECT_READ))
) -> Response:
    if page.can(Action.TASK_WORK) and not page.can(Action.QUALITY_READ):
        return redirect(f"/projects/{project_id}/work")
    if page.can(Action.QUALITY_READ):
        return redirect(f"/projects/{project_id}/dashboard")
    return redirect(f"/projects/{project_id}/guidelines")


@router.get("/projects/{project_id}/work", response_class=HTMLResponse)
def workspace(
    project_id: int,
    request: Request,
    page: Page = Depends(project_page(Action.TASK_WORK)),
) -> Response:
    db = db_of(request)
    try:
        lease = assignment.next_item(db, page.actor, project_id)
    except Forbidden as exc:
        if exc.code != "guideline_ack_required":
            raise
        current = guidelines.get_version(db, project_id)
        return render(request, "acknowledge.html", page, guideline=current)
    except NotFound as exc:
        if exc.code != "queue_empty":
            raise
        return render(
            request,
            "work.html",
            page,
            lease=None,
            empty=exc.message,
            rules=[],
        )
    view = workspace_view.lease_view(
        db, project_id, lease["schema_version"], lease["guideline_version"]
    )
    payload = lease["item"]["payload"]
    fields = fields_of(view["definition"], payload)
    # The project's self-check rules show beside their fields and the checklist above submit:
    # an annotator should read what submit will ask before submit refuses it (issue 17).
    checks = selfcheck.for_annotators(db, project_id)
    notes: dict[str, list[str]] = {}
    for rule in checks["rules"]:
        notes.setdefault(rule["field"], []).append(selfcheck_rules.describe(rule))
    return render(
        request,
        "work.html",
        page,
        lease=lease,
        empty=None,
        fields=fields,
        extra=shown_payload(payload, fields),
        rules=view["rules"],
        checks_by_field=notes,
        checklist=checks["checklist"],
        idempotency_key=f"web-{lease['assignment_id']}-{lease['leased_at']}",
    )


@router.post("/projects/{project_id}/acknowledge")
def acknowledge(
    project_id: int,
    request: Request,
    version: int = Form(...),
    page: Page = Depends(project_page(Action.GUIDELINE_ACKNOWLEDGE)),
) -> Response:
    guidelines.acknowledge(db_of(request), page.actor, project_id, version=version)
    target = "work" if page.can(Action.TASK_WORK) else "guidelines"
    return redirect(f"/projects/{project_id}/{target}")
