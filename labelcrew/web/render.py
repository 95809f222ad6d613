"""What every page shares: who is signed in, their roles, templates, and errors as HTML pages.

Pages authorise with the API's own dependencies (`require`, `current_actor`) and the one
permission table, so a page and its API route always agree on who may do what. A typed error
becomes an HTML page with the API's status code; a missing or expired session sends the browser
to the sign-in page and back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from labelcrew.domain.permissions import Action, allowed
from labelcrew.errors import LabelcrewError, Unauthenticated
from labelcrew.http.auth import authorize, current_actor, db_of
from labelcrew.http.status import status_for
from labelcrew.services.accounts.users import Actor
from labelcrew.services.projects import projects
from labelcrew.web.csrf import CSRF_FIELD, token_of

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


def _json_script(value: Any) -> Markup:
    """JSON safe to place inside <script type="application/json">: no closing tag can appear."""
    text = json.dumps(value, separators=(",", ":"), default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


templates.env.filters["json_script"] = _json_script


@dataclass
class Page:
    """The signed-in caller, and (on project pages) the project and their roles in it."""

    actor: Actor
    csrf: str
    project: dict[str, Any] | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    def can(self, action: str) -> bool:
        return allowed(Action(action), self.roles, is_admin=self.actor.is_admin)


def signed_in(request: Request) -> Page:
    return Page(actor=current_actor(request), csrf=token_of(request))


def project_page(action: Action) -> Callable[[Request], Page]:
    """Dependency for a project page: the same check as the API route for `action`."""

    def dependency(request: Request) -> Page:
        ctx = authorize(request, action)
        sees_gold = allowed(Action.QUALITY_READ, ctx.roles, is_admin=ctx.actor.is_admin)
        project = projects.get_project(db_of(request), ctx.project_id, gold_rates=sees_gold)
        return Page(actor=ctx.actor, csrf=token_of(request), project=project, roles=ctx.roles)

    dependency.labelcrew_action = action.value  # type: ignore[attr-defined]
    return dependency


def render(
    request: Request, template: str, page: Page | None, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        template,
        {"page": page, "csrf_field": CSRF_FIELD, "csrf": token_of(request), **context},
        status_code=status_code,
    )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def local_path(target: str | None, default: str = "/") -> str:
    """Only same-site paths may be redirect targets (no open redirect via ?next=)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def _signed_in_or_none(request: Request) -> Page | None:
    """For the header of an error page: who is signed in, if anyone."""
    try:
        return signed_in(request)
    except LabelcrewError:
        return None


class PageRoute(APIRoute):
    """Routes whose typed errors become HTML pages instead of JSON bodies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Unauthenticated:
                here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return redirect(f"/login?next={quote(here)}")
            except LabelcrewError as exc:
                return render(
                    request,
                    "error.html",
                    _signed_in_or_none(request),
                    status_code=status_for(exc),
                    error=exc.to_dict(),
                )

        return page_handler
