"""Releases: publish one, read its notes, verify its hash, compare it with another, download it
in every format the release service writes.

Downloads link to `GET /api/v1/.../releases/{name}/export?format=...` (the browser's session
rides along), so every download is audited by the same service as an API export; the formats
listed are `formats.FORMATS`, so a new format shows up here without a page change.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from labelcrew.domain.permissions import Action
from labelcrew.domain.releases.rows import METHODS
from labelcrew.errors import ValidationFailed
from labelcrew.http.auth import db_of
from labelcrew.services.projects import projects
from labelcrew.services.releases import formats, ml_format
from labelcrew.services.releases import publish as releases
from labelcrew.services.uow import Database
from labelcrew.web.render import Page, PageRoute, project_page, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/projects/{project_id}/releases", response_class=HTMLResponse)
def releases_page(
    project_id: int,
    request: Request,
    page: Page = Depends(project_page(Action.RELEASE_READ)),
) -> Response:
    return render(
        request,
        "releases.html",
        page,
        tab="releases",
        releases=releases.list_releases(db_of(request), project_id),
        methods=METHODS,
    )


@router.post("/projects/{project_id}/releases")
def create_release(
    project_id: int,
    request: Request,
    name: str = Form(""),
    method: str = Form("ds"),
    min_confidence: str = Form(""),
    page: Page = Depends(project_page(Action.RELEASE_CREATE)),
) -> Response:
    try:
        floor = float(min_confidence) if min_confidence.strip() else None
    except ValueError:
        raise ValidationFailed(
            f"min_confidence must be a number, got {min_confidence!r}", field="min_confidence"
        ) from None
    made = releases.create_release(
        db_of(request),
        page.actor,
        project_id,
        name=name.strip(),
        method=method,
        min_confidence=floor,
    )
    return redirect(f"/projects/{project_id}/releases/{made['name']}")


@router.get("/projects/{project_id}/releases/{name}", response_class=HTMLResponse)
def release_page(
    project_id: int,
    name: str,
    request: Request,
    base: str = "",
    verify: bool = False,
    page: Page = Depends(project_page(Action.RELEASE_READ)),
) -> Response:
    db = db_of(request)
    release = releases.get_release(db, project_id, name)
    others = [r["name"] for r in releases.list_releases(db, project_id) if r["name"] != name]
    diff = None
    if page.can(Action.RELEASE_DIFF) and (base or others):
        if not base and release["manifest"].get("previous"):
            base = release["manifest"]["previous"]["name"]
        if base:
            diff = releases.diff_releases(db, project_id, base, name)
    return render(
        request,
        "release.html",
        page,
        tab="releases",
        release=release,
        others=others,
        base=base,
        diff=diff,
        verified=releases.verify_release(db, project_id, name) if verify else None,
        excluded=releases.excluded_items(db, project_id, name)
        if page.can(Action.RELEASE_ITEMS_READ)
        else None,
        formats=ml_format.fitting(list(formats.FORMATS), _kinds(db, project_id, release)),
    )


def _kinds(db: Database, project_id: int, release: dict[str, Any]) -> set[str]:
    """The field kinds of the schema the release was made under."""
    version = release["manifest"].get("schema_version")
    schema = projects.get_schema(db, project_id, version)
    return {f["kind"] for f in schema["definition"]["fields"]}
