"""The web UI: server-rendered Jinja2 pages and small plain scripts over the same services."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from labelcrew.web.csrf import CSRFMiddleware

STATIC = Path(__file__).parent / "static"
# Served from the installed plotly package: nothing is fetched from a CDN (air-gapped sites).
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def install(app: FastAPI) -> None:
    """Add the pages, the static files and CSRF protection to the API application."""
    from labelcrew.web import (
        pages,
        pages_accounts,
        pages_batches,
        pages_guidelines,
        pages_import,
        pages_items,
        pages_labelstudio,
        pages_lead,
        pages_projects,
        pages_releases,
        pages_review,
        pages_teamops,
    )

    # pages_projects first: its /projects/new must match before /projects/{project_id}.
    for module in (
        pages_projects,
        pages,
        pages_accounts,
        pages_batches,
        pages_guidelines,
        pages_import,
        pages_items,
        pages_labelstudio,
        pages_lead,
        pages_releases,
        pages_review,
        pages_teamops,
    ):
        app.include_router(module.router)

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(
            PLOTLY_JS,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    secure = app.state.settings.environment != "development"
    app.add_middleware(CSRFMiddleware, secure=secure)
