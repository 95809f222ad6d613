"""Response models of project webhooks and their delivery log (`api/routes/webhooks.py`)."""

from __future__ import annotations

from labelcrew.api.schemas import Out


class WebhookOut(Out):
    """A webhook endpoint: where it posts, which event types (`*`: all), whether it is on."""

    id: int
    url: str
    events: list[str]
    active: bool
    created_at: str
    updated_at: str


class WebhookListedOut(WebhookOut):
    """A webhook endpoint as listed, with its project."""

    project_id: int


class WebhookCreatedOut(WebhookOut):
    """A new webhook endpoint with its signing secret: shown this once."""

    secret: str


class WebhookDeletedOut(Out):
    """A deleted webhook (its delivery log goes with it)."""

    id: int
    deleted: bool


class WebhookDeliveryOut(Out):
    """One event's delivery to a webhook: its state, attempts and the last answer or error."""

    id: int
    event_id: int
    event_type: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: str | None
    created_at: str
    delivered_at: str | None
