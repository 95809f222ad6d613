"""A new project from the browser: name, slug, a first lead, and the label schema from a
builder whose live preview draws the workspace's own widgets.

The builder's script keeps the definition as JSON and asks `POST /projects/schema-preview` for
the preview: the schema is parsed by the same `LabelSchema.parse` that creating the project
runs, and the widgets come from `widgets.fields_of` and `widgets.html`, so what the preview
shows is what an annotator will see (or the error that saving would give, with its path).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.errors import LabelcrewError, ValidationFailed
from labelcrew.http.auth import db_of, require_admin
from labelcrew.services.projects import projects
from labelcrew.web.render import Page, PageRoute, redirect, render, signed_in
from labelcrew.web.widgets import fields_of, shown_payload

router = APIRouter(route_class=PageRoute, include_in_schema=False)
SAMPLE_PAYLOAD = {"text": "The soup was cold but the staff were lovely."}
STARTER = {"fields": [{"name": "label", "kind": "single_choice", "options": ["yes", "no"]}]}


def _json_object(text: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}", field=name
        ) from None
    if not isinstance(value, dict):
        raise ValidationFailed(f"{name} must be a JSON object", field=name)
    return value


def _new_form(
    request: Request,
    page: Page,
    *,
    status_code: int = 200,
    error: dict[str, Any] | None = None,
    **values: Any,
) -> Response:
    form = {
        "name": "",
        "slug": "",
        "lead": "",
        "definition": json.dumps(STARTER, indent=2),
        "sample": json.dumps(SAMPLE_PAYLOAD),
        **values,
    }
    return render(
        request, "project_new.html", page, status_code=status_code, form=form, error=error
    )


@router.get("/projects/new", response_class=HTMLResponse)
def new_project_page(request: Request, page: Page = Depends(signed_in)) -> Response:
    require_admin(request)
    return _new_form(request, page)


@router.post("/projects/schema-preview", response_class=HTMLResponse)
def schema_preview(
    request: Request,
    definition: str = Form(""),
    sample: str = Form(""),
    page: Page = Depends(signed_in),
) -> Response:
    """An HTML fragment: the workspace's widgets for the definition, or the error at its path.
    Any signed-in user may ask: it reads and stores nothing (the schema editor on a project's
    settings page can use it too)."""
    try:
        parsed = LabelSchema.parse(_json_object(definition, "definition")).to_dict()
        payload = _json_object(sample or "{}", "sample item")
        fields = fields_of(parsed, payload)
    except LabelcrewError as exc:
        return render(request, "schema_preview.html", page, status_code=422, error=exc.to_dict())
    extra = shown_payload(payload, fields)
    return render(request, "schema_preview.html", page, error=None, fields=fields, extra=extra)


@router.post("/projects", response_class=HTMLResponse)
def create_project(
    request: Request,
    name: str = Form(""),
    slug: str = Form(""),
    lead: str = Form(""),
    definition: str = Form(""),
    sample: str = Form(""),
    page: Page = Depends(signed_in),
) -> Response:
    actor = require_admin(request)
    db = db_of(request)
    entered = {"name": name, "slug": slug, "lead": lead, "definition": definition, "sample": sample}
    try:
        if not name.strip():
            raise ValidationFailed("a project needs a name", field="name")
        schema = _json_object(definition, "definition")
        made = projects.create_project(
            db, actor, slug=slug.strip(), name=name.strip(), schema=schema
        )
    except LabelcrewError as exc:
        # The form keeps what was typed: a schema built field by field is not lost to a typo
        # in the slug.
        return _new_form(request, page, status_code=422, error=exc.to_dict(), **entered)
    if lead.strip():
        projects.set_member(
            db, actor, made["id"], username=lead.strip(), roles=["lead", "guideline_owner"]
        )
    return redirect(f"/projects/{made['id']}/import")
