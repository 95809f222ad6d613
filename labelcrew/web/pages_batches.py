"""Batches: create one, hand it to an owner, move it through its done states.

Each form calls the service its API route calls (`batches.create_batch`, `update_batch`); the
states a batch may move to next come from the service's transition table, so the page offers
exactly the moves the service accepts.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from labelcrew.domain.permissions import STAFF, Action
from labelcrew.http.auth import db_of
from labelcrew.services.projects import batches, projects
from labelcrew.web.render import Page, PageRoute, project_page, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/projects/{project_id}/batches", response_class=HTMLResponse)
def batches_page(
    project_id: int,
    request: Request,
    saved: str = "",
    page: Page = Depends(project_page(Action.BATCH_DETAIL_READ)),
) -> Response:
    db = db_of(request)
    members = projects.list_members(db, project_id)
    owners = sorted(m["username"] for m in members if set(m["roles"]) & STAFF)
    return render(
        request,
        "batches.html",
        page,
        tab="batches",
        batches=batches.list_batches(db, project_id),
        transitions=batches.TRANSITIONS,
        owners=owners,
        saved=saved,
    )


@router.post("/projects/{project_id}/batches")
def create_batch(
    project_id: int,
    request: Request,
    name: str = Form(...),
    owner: str = Form(""),
    page: Page = Depends(project_page(Action.BATCH_MANAGE)),
) -> Response:
    made = batches.create_batch(
        db_of(request), page.actor, project_id, name=name.strip(), owner=owner or None
    )
    return redirect(f"/projects/{project_id}/batches?saved={made['id']}")


@router.post("/projects/{project_id}/batches/{batch_id}")
def update_batch(
    project_id: int,
    batch_id: int,
    request: Request,
    state: str = Form(""),
    owner: str = Form(""),
    handoff_note: str | None = Form(None),
    page: Page = Depends(project_page(Action.BATCH_TRANSITION)),
) -> Response:
    batches.update_batch(
        db_of(request),
        page.actor,
        project_id,
        batch_id,
        state=state or None,
        owner=owner or None,
        handoff_note=handoff_note,
    )
    return redirect(f"/projects/{project_id}/batches?saved={batch_id}")
