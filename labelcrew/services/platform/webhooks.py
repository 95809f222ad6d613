"""Project webhooks: endpoints managed by leads, the signed body, and the delivery log.

Delivery itself is the worker's job (`labelcrew.services.platform.worker`): events written by
`events.emit` in the transaction of the change are fanned out to one delivery row per matching
webhook and sent with

    X-Labelcrew-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{raw body}")>

(the scheme Stripe popularised: the timestamp inside the MAC lets receivers refuse replays).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import select

from labelcrew.db.models.core import OutboxEvent
from labelcrew.db.models.platform import Webhook, WebhookDelivery
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit
from labelcrew.services.uow import Database, UnitOfWork

SIGNATURE_HEADER = "X-Labelcrew-Signature"
EVENT_TYPE = r"^[a-z_]+(\.[a-z_]+)*$"
MAX_EVENT_TYPES = 50


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does (used by the tests' receiver; shown in the docs)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts or not parts["t"].isdigit():
        return False
    expected = sign(secret, int(parts["t"]), body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts["v1"])


def event_body(event: OutboxEvent) -> str:
    """The raw body every webhook receives for an event: stable bytes, signed as sent."""
    return orjson.dumps(
        {
            "id": event.id,
            "type": event.event_type,
            "project_id": event.project_id,
            "created_at": event.created_at.isoformat(),
            "data": event.payload,
        },
        option=orjson.OPT_SORT_KEYS,
    ).decode()


def matches(webhook: Webhook, event_type: str) -> bool:
    return webhook.active and ("*" in webhook.event_types or event_type in webhook.event_types)


def _clean_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationFailed(
            f"url must be an http(s) URL with a host, not {url!r}", field="url", code="bad_url"
        )
    return url.strip()


def _clean_events(events: list[str]) -> list[str]:
    if not events:
        raise ValidationFailed("give at least one event type or '*'", field="events")
    if len(events) > MAX_EVENT_TYPES:
        raise ValidationFailed(f"at most {MAX_EVENT_TYPES} event types", field="events")
    for i, e in enumerate(events):
        if e != "*" and not re.match(EVENT_TYPE, e):
            raise ValidationFailed(
                f"event type {e!r} must look like 'item.annotated' or be '*'",
                field=f"events[{i}]",
            )
    return sorted(set(events))


def webhook_dict(w: Webhook, *, secret: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": w.id,
        "url": w.url,
        "events": w.event_types,
        "active": w.active,
        "created_at": w.created_at.isoformat(),
        "updated_at": w.updated_at.isoformat(),
    }
    if secret:
        out["secret"] = w.secret
    return out


def create_webhook(
    db: Database,
    actor: Actor,
    project_id: int,
    *,
    url: str,
    events: list[str],
    secret: str | None = None,
    active: bool = True,
) -> dict[str, Any]:
    """Add an endpoint. The secret is shown once, in this answer; a strong one is generated
    when none is given (from `secrets`, not the injectable rng: it must be unpredictable)."""
    clean_url, clean_events = _clean_url(url), _clean_events(events)
    if secret is not None and len(secret) < 16:
        raise ValidationFailed("secret needs at least 16 characters", field="secret")
    with db.uow() as uow:
        hook = Webhook(
            project_id=project_id,
            url=clean_url,
            secret=secret or secrets.token_urlsafe(32),
            event_types=clean_events,
            active=active,
            created_by=actor.user_id,
            created_at=uow.now,
            updated_at=uow.now,
        )
        uow.session.add(hook)
        uow.session.flush()
        audit(
            uow,
            actor_id=actor.user_id,
            action="webhook.create",
            entity_type="webhook",
            entity_id=hook.id,
            project_id=project_id,
            after={"url": clean_url, "events": clean_events, "active": active},
        )
        result = webhook_dict(hook, secret=True)
        uow.commit()
        return result


def _load(uow: UnitOfWork, project_id: int, webhook_id: int) -> Webhook:
    hook = uow.session.get(Webhook, webhook_id)
    if hook is None or hook.project_id != project_id:
        raise NotFound(f"no webhook {webhook_id}", code="webhook_not_found", field="webhook_id")
    return hook


def update_webhook(
    db: Database,
    actor: Actor,
    project_id: int,
    webhook_id: int,
    *,
    url: str | None = None,
    events: list[str] | None = None,
    active: bool | None = None,
) -> dict[str, Any]:
    with db.uow() as uow:
        hook = _load(uow, project_id, webhook_id)
        before = webhook_dict(hook)
        if url is not None:
            hook.url = _clean_url(url)
        if events is not None:
            hook.event_types = _clean_events(events)
        if active is not None:
            hook.active = active
        hook.updated_at = uow.now
        after = webhook_dict(hook)
        audit(
            uow,
            actor_id=actor.user_id,
            action="webhook.update",
            entity_type="webhook",
            entity_id=hook.id,
            project_id=project_id,
            before={k: before[k] for k in ("url", "events", "active")},
            after={k: after[k] for k in ("url", "events", "active")},
        )
        uow.commit()
        return after


def delete_webhook(db: Database, actor: Actor, project_id: int, webhook_id: int) -> dict[str, Any]:
    with db.uow() as uow:
        hook = _load(uow, project_id, webhook_id)
        before = webhook_dict(hook)
        uow.session.delete(hook)
        audit(
            uow,
            actor_id=actor.user_id,
            action="webhook.delete",
            entity_type="webhook",
            entity_id=webhook_id,
            project_id=project_id,
            before={k: before[k] for k in ("url", "events", "active")},
        )
        uow.commit()
        return {"id": webhook_id, "deleted": True}


def list_webhooks(db: Database, project_id: int | None = None) -> list[dict[str, Any]]:
    with db.uow(read_only=True) as uow:
        query = select(Webhook).order_by(Webhook.id)
        if project_id is not None:
            query = query.where(Webhook.project_id == project_id)
        return [{**webhook_dict(w), "project_id": w.project_id} for w in uow.session.scalars(query)]


def delivery_dict(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "state": d.state,
        "attempts": d.attempts,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "next_attempt_at": d.next_attempt_at.isoformat() if d.state == "pending" else None,
        "created_at": d.created_at.isoformat(),
        "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
    }


def list_deliveries(
    db: Database, project_id: int, webhook_id: int, *, state: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The delivery log of one webhook, newest first."""
    if not 1 <= limit <= 1000:
        raise ValidationFailed("limit must be between 1 and 1000", field="limit")
    with db.uow(read_only=True) as uow:
        _load(uow, project_id, webhook_id)
        query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
        if state is not None:
            query = query.where(WebhookDelivery.state == state)
        rows = uow.session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit))
        return [delivery_dict(d) for d in rows]


def requeue_dead(db: Database, actor: Actor, project_id: int, webhook_id: int) -> int:
    """Send a webhook's dead letters again (after the receiver is fixed): due now, with a fresh
    attempt count. Returns how many."""
    with db.uow() as uow:
        _load(uow, project_id, webhook_id)
        dead = list(
            uow.session.scalars(
                select(WebhookDelivery).where(
                    WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.state == "dead"
                )
            )
        )
        for d in dead:
            d.state, d.attempts, d.next_attempt_at, d.claimed_until = "pending", 0, uow.now, None
        audit(
            uow,
            actor_id=actor.user_id,
            action="webhook.requeue",
            entity_type="webhook",
            entity_id=webhook_id,
            project_id=project_id,
            after={"requeued": len(dead)},
        )
        uow.commit()
        return len(dead)
