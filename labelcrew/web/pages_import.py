"""Import items by drag and drop (or a file input) into a project.

The page's script uploads the file to `POST /api/v1/.../items:import`, the route the CLI's
service answers too, with a progress bar for the upload; a refused import lists every bad line
as the CLI prints it (`line N [field]: message`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from labelcrew.domain.permissions import Action
from labelcrew.web.render import Page, PageRoute, project_page, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/projects/{project_id}/import", response_class=HTMLResponse)
def import_page(
    project_id: int,
    request: Request,
    page: Page = Depends(project_page(Action.ITEM_IMPORT)),
) -> Response:
    return render(request, "import.html", page, tab="items")
