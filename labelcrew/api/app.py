"""The FastAPI application: routers, error mapping, the database handle."""

from __future__ import annotations

from fastapi import FastAPI

from labelcrew import __version__, web
from labelcrew.api import errors
from labelcrew.api.responses import FastJSON
from labelcrew.api.routes import accounts, guidelines, imports, items, projects, quality, work
from labelcrew.api.routes import comments, escalations, review
from labelcrew.api.routes import calibration, relabel, webhooks
from labelcrew.api.routes import releases as releases_routes
from labelcrew.api.routes import metrics as metrics_routes
from labelcrew.api.routes import teamops as teamops_routes
from labelcrew.api import prometheus
from labelcrew.config import Settings, get_settings
from labelcrew.db.engine import make_engine
from labelcrew.services.uow import Database
from labelcrew.services.worker import embedded_worker


def create_app(db: Database | None = None, settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    if db is None:
        db = Database(make_engine(settings.resolved_database_url))
    app = FastAPI(
        default_response_class=FastJSON,
        title="labelcrew",
        version=__version__,
        description="Runs a data-labeling team: schemas, guidelines, assignment, "
        "quality, feedback loops and releases.",
        lifespan=embedded_worker,
    )
    app.state.db = db
    app.state.settings = settings
    errors.install(app)
    for module in (accounts, projects, guidelines, work, items, imports, quality):
        app.include_router(module.router)
    for module in (review, comments, escalations):
        app.include_router(module.router)
    for module in (relabel, calibration, webhooks):
        app.include_router(module.router)
    app.include_router(metrics_routes.router)
    app.include_router(teamops_routes.router)
    prometheus.install(app)

    web.install(app)
    app.include_router(releases_routes.router)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
