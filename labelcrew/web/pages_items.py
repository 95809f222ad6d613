"""The item browser and one item's page: its labels, reviews, comments, history and gold answer.

The browser's filters are `item_browser.ItemFilters`, the same the API's item list takes. The
item page edits the gold answer with the workspace's widgets (`widgets.fields_of`); its script
saves through `PUT /api/v1/.../items/{id}/gold`, so the schema validates the answer exactly as
for an API client.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from labelcrew.domain.permissions import Action
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.http.auth import db_of
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.platform import item_history
from labelcrew.services.projects import batches, item_browser, items, projects
from labelcrew.services.review import comments, reviews
from labelcrew.services.teamops import privacy
from labelcrew.web.render import Page, PageRoute, project_page, render
from labelcrew.web.widgets import fields_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 50
FILTER_KEYS = ("state", "batch", "gold", "disagreement", "annotator", "guideline")


def _int(value: str, name: str) -> int | None:
    if value.strip() == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationFailed(
            f"{name} must be a whole number, got {value!r}", field=name
        ) from None


def _filters(query: dict[str, str]) -> item_browser.ItemFilters:
    gold = query.get("gold", "")
    if gold not in ("", "yes", "no"):
        raise ValidationFailed(f"gold must be yes, no or empty, got {gold!r}", field="gold")
    return item_browser.ItemFilters(
        state=query.get("state") or None,
        batch_id=_int(query.get("batch", ""), "batch"),
        gold=None if gold == "" else gold == "yes",
        disagreement=query.get("disagreement", "") in ("1", "on", "yes", "true"),
        annotator=query.get("annotator") or None,
        guideline_version=_int(query.get("guideline", ""), "guideline"),
    )


@router.get("/projects/{project_id}/items", response_class=HTMLResponse)
def item_list(
    project_id: int,
    request: Request,
    page: Page = Depends(project_page(Action.ITEM_READ)),
) -> Response:
    db = db_of(request)
    query = {k: request.query_params.get(k, "") for k in FILTER_KEYS}
    offset = _int(request.query_params.get("offset", ""), "offset") or 0
    found = item_browser.browse_items(
        db,
        project_id,
        _filters(query),
        limit=PAGE_SIZE,
        offset=offset,
        viewer=privacy.Viewer(page.roles, page.actor.is_admin),
    )
    kept = {k: v for k, v in query.items() if v}

    def link(to: int) -> str:
        return "?" + urlencode({**kept, "offset": to} if to else kept)

    members = projects.list_members(db, project_id) if page.can(Action.MEMBER_READ) else []
    return render(
        request,
        "items.html",
        page,
        tab="items",
        found=found,
        query=query,
        offset=offset,
        page_size=PAGE_SIZE,
        prev_link=link(max(offset - PAGE_SIZE, 0)) if offset > 0 else None,
        next_link=link(offset + PAGE_SIZE) if offset + PAGE_SIZE < found["total"] else None,
        batches=batches.list_batches(db, project_id, counts=False),
        annotators=[m["username"] for m in members if "annotator" in m["roles"]],
        versions=[v["version"] for v in guidelines.list_versions(db, project_id)],
        back=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    )


def _gold_fields(request: Request, project_id: int, item: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        schema = projects.get_schema(db_of(request), project_id)
    except NotFound:
        return []
    return fields_of(schema["definition"], item["payload"])


@router.get("/projects/{project_id}/items/{item_id}", response_class=HTMLResponse)
def item_page(
    project_id: int,
    item_id: int,
    request: Request,
    page: Page = Depends(project_page(Action.ITEM_READ)),
) -> Response:
    db = db_of(request)
    with_gold = page.can(Action.GOLD_MANAGE)
    viewer = privacy.Viewer(page.roles, page.actor.is_admin)
    item = items.get_item(db, project_id, item_id, with_gold=with_gold, viewer=viewer)
    item.setdefault("gold", None)  # staff without gold rights get no key: the page asks anyway
    names = {m["user_id"]: m["username"] for m in projects.list_members(db, project_id)}
    back = request.query_params.get("back", "")
    return render(
        request,
        "item.html",
        page,
        tab="items",
        item=item,
        reviews=reviews.item_reviews(db, project_id, item_id)
        if page.can(Action.REVIEW_READ)
        else [],
        names=names,
        thread=comments.list_comments(db, page.actor, project_id, item_id),
        history=item_history.item_history(db, project_id, item_id)
        if page.can(Action.AUDIT_READ)
        else None,
        gold_fields=_gold_fields(request, project_id, item) if with_gold else [],
        back=back if back.startswith(f"/projects/{project_id}/items") else "",
    )
