"""Items, gold answers, batches and the basic export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from labelcrew.api.inputs import RequestModel
from labelcrew.api.schemas.items import (
    BatchItemsOut,
    BatchListed,
    BatchOut,
    GoldSetOut,
    ItemDetailOut,
    ItemPageOut,
)
from labelcrew.api.schemas.projects import AuditEventOut
from labelcrew.domain.permissions import Action, allowed
from labelcrew.http.auth import Ctx, db_of, require
from labelcrew.services.platform import item_history as history
from labelcrew.services.projects import batches, item_browser, items
from labelcrew.services.releases import live_export as export
from labelcrew.services.teamops import privacy

router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["items"])


class GoldIn(RequestModel):
    value: dict[str, Any]
    rule: str | None = None
    kind: str = "gold"  # "gold" or "honeypot" (the service names the field when it is neither)


class BatchIn(RequestModel):
    name: str
    owner: str | None = None


class BatchPatch(RequestModel):
    state: str | None = None
    owner: str | None = None
    handoff_note: str | None = None


@router.get("/items", response_model=ItemPageOut)
def list_items(
    project_id: int,
    request: Request,
    state: str | None = None,
    batch_id: int | None = Query(None, description="a batch id; 0: items in no batch"),
    gold: bool | None = None,
    disagreement: bool = False,
    annotator: str | None = Query(None, description="items with a label by this username"),
    guideline_version: int | None = None,
    limit: int = 50,
    offset: int = 0,
    ctx: Ctx = Depends(require(Action.ITEM_READ)),
) -> Any:
    """Items by id under the filters (all must hold); see `services/projects/item_browser`."""
    filters = item_browser.ItemFilters(
        state=state,
        batch_id=batch_id,
        gold=gold,
        disagreement=disagreement,
        annotator=annotator or None,
        guideline_version=guideline_version,
    )
    viewer = privacy.Viewer(ctx.roles, ctx.actor.is_admin)
    return item_browser.browse_items(
        db_of(request), project_id, filters, limit=limit, offset=offset, viewer=viewer
    )


@router.get("/items/{item_id}", response_model=ItemDetailOut, response_model_exclude_unset=True)
def get_item(
    project_id: int, item_id: int, request: Request, ctx: Ctx = Depends(require(Action.ITEM_READ))
) -> Any:
    with_gold = allowed(Action.GOLD_MANAGE, ctx.roles, is_admin=ctx.actor.is_admin)
    viewer = privacy.Viewer(ctx.roles, ctx.actor.is_admin)
    return items.get_item(db_of(request), project_id, item_id, with_gold=with_gold, viewer=viewer)


@router.get("/items/{item_id}/history", response_model=list[AuditEventOut])
def item_history(
    project_id: int,
    item_id: int,
    request: Request,
    limit: int = 200,
    ctx: Ctx = Depends(require(Action.AUDIT_READ)),
) -> Any:
    """The audit events about the item and its labels, reviews, comments and escalations."""
    return history.item_history(db_of(request), project_id, item_id, limit=limit)


@router.put("/items/{item_id}/gold", response_model=GoldSetOut)
def set_gold(
    project_id: int,
    item_id: int,
    body: GoldIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.GOLD_MANAGE)),
) -> Any:
    return items.set_gold(
        db_of(request),
        ctx.actor,
        project_id,
        item_id,
        value=body.value,
        rule=body.rule,
        kind=body.kind,
    )


@router.get("/batches", response_model=list[BatchListed], response_model_exclude_unset=True)
def list_batches(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.BATCH_READ))
) -> Any:
    counts = allowed(Action.BATCH_DETAIL_READ, ctx.roles, is_admin=ctx.actor.is_admin)
    return batches.list_batches(db_of(request), project_id, counts=counts)


@router.post("/batches", status_code=201, response_model=BatchOut)
def create_batch(
    project_id: int,
    body: BatchIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.BATCH_MANAGE)),
) -> Any:
    return batches.create_batch(
        db_of(request), ctx.actor, project_id, name=body.name, owner=body.owner
    )


@router.patch("/batches/{batch_id}", response_model=BatchOut)
def update_batch(
    project_id: int,
    batch_id: int,
    body: BatchPatch,
    request: Request,
    ctx: Ctx = Depends(require(Action.BATCH_TRANSITION)),
) -> Any:
    return batches.update_batch(
        db_of(request),
        ctx.actor,
        project_id,
        batch_id,
        state=body.state,
        owner=body.owner,
        handoff_note=body.handoff_note,
    )


@router.get("/batches/{batch_id}/items", response_model=BatchItemsOut)
def batch_items(
    project_id: int,
    batch_id: int,
    request: Request,
    limit: int = 100,
    offset: int = 0,
    ctx: Ctx = Depends(require(Action.BATCH_DETAIL_READ)),
) -> Any:
    return batches.batch_items(db_of(request), project_id, batch_id, limit=limit, offset=offset)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/x-ndjson": {}, "text/csv": {}},
            "description": "Every non-gold item with its labels: JSON lines (`format=jsonl`, one "
            "item per line) or CSV (`format=csv`, one label per row)",
        }
    },
)
def export_project(
    project_id: int,
    request: Request,
    format: str = "jsonl",
    ctx: Ctx = Depends(require(Action.EXPORT)),
) -> StreamingResponse:
    chunks = export.export_rows(db_of(request), ctx.actor, project_id, format)
    media = "application/x-ndjson" if format == "jsonl" else "text/csv"
    return StreamingResponse(
        chunks,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="project-{project_id}.{format}"'},
    )
