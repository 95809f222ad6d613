"""The lead's page for moving a Label Studio project in: pick the export and the labeling
config, see the dry run (fields made, controls not mapped and why, items, labels, members),
then import. The page posts to the API route (`POST /api/v1/projects:import-labelstudio`)
with the session cookie and the CSRF header, so it does nothing the API does not."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from labelcrew.http.auth import require_admin
from labelcrew.web.render import Page, PageRoute, render, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/admin/labelstudio", response_class=HTMLResponse)
def labelstudio_page(request: Request, page: Page = Depends(signed_in)) -> Response:
    # The import creates projects and (inactive) users: administrators only, as in the API.
    require_admin(request)
    return render(request, "labelstudio.html", page)
