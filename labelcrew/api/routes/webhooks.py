"""Project webhooks and their delivery log (leads)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from labelcrew.api.inputs import RequestModel
from labelcrew.api.schemas.webhooks import (
    WebhookCreatedOut,
    WebhookDeletedOut,
    WebhookDeliveryOut,
    WebhookListedOut,
    WebhookOut,
)
from labelcrew.domain.permissions import Action
from labelcrew.http.auth import Ctx, db_of, require
from labelcrew.services.platform import webhooks

router = APIRouter(prefix="/api/v1/projects/{project_id}/webhooks", tags=["webhooks"])


class WebhookIn(RequestModel):
    url: str
    events: list[str] = Field(default_factory=lambda: ["*"])
    secret: str | None = None
    active: bool = True


class WebhookPatch(RequestModel):
    url: str | None = None
    events: list[str] | None = None
    active: bool | None = None


@router.get("", response_model=list[WebhookListedOut])
def list_webhooks(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.WEBHOOK_MANAGE))
) -> Any:
    return webhooks.list_webhooks(db_of(request), project_id)


@router.post("", status_code=201, response_model=WebhookCreatedOut)
def create_webhook(
    project_id: int,
    body: WebhookIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.WEBHOOK_MANAGE)),
) -> Any:
    return webhooks.create_webhook(
        db_of(request),
        ctx.actor,
        project_id,
        url=body.url,
        events=body.events,
        secret=body.secret,
        active=body.active,
    )


@router.patch("/{webhook_id}", response_model=WebhookOut)
def update_webhook(
    project_id: int,
    webhook_id: int,
    body: WebhookPatch,
    request: Request,
    ctx: Ctx = Depends(require(Action.WEBHOOK_MANAGE)),
) -> Any:
    return webhooks.update_webhook(
        db_of(request),
        ctx.actor,
        project_id,
        webhook_id,
        url=body.url,
        events=body.events,
        active=body.active,
    )


@router.delete("/{webhook_id}", response_model=WebhookDeletedOut)
def delete_webhook(
    project_id: int,
    webhook_id: int,
    request: Request,
    ctx: Ctx = Depends(require(Action.WEBHOOK_MANAGE)),
) -> Any:
    return webhooks.delete_webhook(db_of(request), ctx.actor, project_id, webhook_id)


@router.get("/{webhook_id}/deliveries", response_model=list[WebhookDeliveryOut])
def deliveries(
    project_id: int,
    webhook_id: int,
    request: Request,
    state: str | None = None,
    limit: int = 100,
    ctx: Ctx = Depends(require(Action.WEBHOOK_MANAGE)),
) -> Any:
    return webhooks.list_deliveries(
        db_of(request), project_id, webhook_id, state=state, limit=limit
    )
