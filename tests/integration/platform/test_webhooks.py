"""Webhooks through a real local HTTP receiver: signed bodies, retries with backoff, giving up,
the delivery log for leads, and events that exist only when their change committed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from labelcrew.app import create_app
from labelcrew.db.models.core import OutboxEvent
from labelcrew.db.models.platform import WebhookDelivery
from labelcrew.errors import ValidationFailed
from labelcrew.services.accounts import users as accounts
from labelcrew.services.platform import webhooks, worker
from labelcrew.services.platform.events import emit
from labelcrew.services.work import assignment, submission
from tests.integration.team import build

SECRET = "a-receiver-shared-secret"


class Receiver:
    """An HTTP server on 127.0.0.1 (random port) that checks each signature and answers with
    the next scripted status (200 once the script runs out)."""

    def __init__(self, statuses: list[int] | None = None, secret: str = SECRET) -> None:
        self.statuses = list(statuses or [])
        self.secret = secret
        self.received: list[dict] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                signature = self.headers.get("X-Labelcrew-Signature", "")
                with outer.lock:
                    status = outer.statuses.pop(0) if outer.statuses else 200
                    outer.received.append(
                        {
                            "body": json.loads(raw),
                            "valid": webhooks.verify(outer.secret, signature, raw),
                            "signature": signature,
                            "event": self.headers.get("X-Labelcrew-Event"),
                            "status": status,
                        }
                    )
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"try later")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def _annotate(db, team, n: int = 1) -> None:
    for _ in range(n):
        lease = assignment.next_item(db, team.annotators[0], team.project_id)
        submission.submit(
            db,
            team.annotators[0],
            team.project_id,
            lease["item"]["id"],
            {"sentiment": "positive"},
            idempotency_key=None,
        )


def test_a_signed_event_reaches_a_real_receiver(db, receiver):
    team = build(db, annotators=1, items=3)
    hook = webhooks.create_webhook(
        db, team.lead, team.project_id, url=receiver.url, events=["item.annotated"], secret=SECRET
    )
    _annotate(db, team)
    totals = worker.drain(db, jobs=())
    assert totals["sent"] == 1 and totals["errors"] == 0
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got["valid"] and got["event"] == "item.annotated"
    assert got["body"]["type"] == "item.annotated" and got["body"]["data"]["item_id"] == 1
    assert got["signature"].startswith(f"t={int(db.clock().timestamp())},v1=")
    forged = receiver.received[0]["signature"].replace("v1=", "v1=0")
    assert not webhooks.verify(SECRET, forged, json.dumps(got["body"]).encode())
    log = webhooks.list_deliveries(db, team.project_id, hook["id"])
    assert [(d["state"], d["attempts"], d["last_status"]) for d in log] == [("delivered", 1, 200)]
    with db.uow(read_only=True) as uow:  # every event was taken; only the matching one fanned out
        assert (
            uow.session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.processed_at.is_(None))
            )
            == 0
        )
        assert uow.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
    assert worker.drain(db, jobs=())["sent"] == 0  # nothing is sent twice


def test_failures_retry_with_exponential_backoff_then_give_up(db, clock):
    team = build(db, annotators=1, items=3)
    config = worker.WorkerConfig(backoff_base=10, max_attempts=3, jitter=0)
    with Receiver([500, 500, 200, 503, 503, 503]) as r:
        hook = webhooks.create_webhook(
            db, team.lead, team.project_id, url=r.url, events=["*"], secret=SECRET
        )
        _annotate(db, team)
        worker.fan_out(db, config)  # build()'s own events and this one: all '*'
        with db.uow(read_only=True) as uow:
            pending = uow.session.scalar(select(func.count()).select_from(WebhookDelivery))
        assert pending >= 2
        # Deliver everything but the newest event first, so the script hits one delivery.
        with db.uow() as uow:
            newest = uow.session.scalar(select(func.max(WebhookDelivery.id)))
            for d in uow.session.scalars(
                select(WebhookDelivery).where(WebhookDelivery.id != newest)
            ):
                d.state = "delivered"
            uow.commit()
        assert worker.drain(db, config, jobs=())["errors"] == 1
        assert worker.drain(db, config, jobs=())["errors"] == 0  # not due yet
        clock.advance(9)
        assert worker.drain(db, config, jobs=())["errors"] == 0
        clock.advance(1)
        assert worker.drain(db, config, jobs=())["errors"] == 1  # second attempt at +10 s
        clock.advance(19)
        assert worker.drain(db, config, jobs=())["sent"] == 0  # third waits 20 s
        clock.advance(1)
        assert worker.drain(db, config, jobs=())["sent"] == 1
        log = webhooks.list_deliveries(db, team.project_id, hook["id"], state="delivered")
        assert log[0]["attempts"] == 3 and log[0]["last_status"] == 200
        assert log[0]["last_error"] is None
        assert [x["status"] for x in r.received] == [500, 500, 200]
        assert all(x["valid"] for x in r.received)

        _annotate(db, team)  # this one meets three 503s and is given up
        for wait in (0, 10, 20):
            clock.advance(wait)
            worker.drain(db, config, jobs=())
        failed = webhooks.list_deliveries(db, team.project_id, hook["id"], state="dead")
        assert len(failed) == 1 and failed[0]["attempts"] == 3
        assert failed[0]["last_status"] == 503 and "HTTP 503" in failed[0]["last_error"]
        clock.advance(3600)
        assert worker.drain(db, config, jobs=())["sent"] == 0


def test_an_unreachable_endpoint_is_logged_as_an_error(db):
    team = build(db, annotators=1, items=2)
    with Receiver() as r:
        url = r.url  # the port is free again once the server closed
    hook = webhooks.create_webhook(db, team.lead, team.project_id, url=url, events=["*"])
    worker.drain(db, worker.WorkerConfig(timeout=2), jobs=())
    log = webhooks.list_deliveries(db, team.project_id, hook["id"])
    assert log and all(d["state"] == "pending" and d["attempts"] == 1 for d in log)
    assert "ConnectError" in log[0]["last_error"] and log[0]["last_status"] is None


def test_an_event_exists_only_if_its_change_committed(db):
    team = build(db, annotators=1, items=2)

    def count() -> int:
        with db.uow(read_only=True) as uow:
            return uow.session.scalar(select(func.count()).select_from(OutboxEvent))

    before = count()
    with db.uow() as uow:  # a change that is rolled back
        emit(uow, project_id=team.project_id, event_type="item.annotated", payload={"x": 1})
        uow.rollback()
    lease = assignment.next_item(db, team.annotators[0], team.project_id)
    with pytest.raises(ValidationFailed):  # a refused submit writes nothing, event included
        submission.submit(
            db,
            team.annotators[0],
            team.project_id,
            lease["item"]["id"],
            {"sentiment": "furious"},
            idempotency_key=None,
        )
    assert count() == before
    _annotate(db, team)
    assert count() == before + 1


def test_leads_manage_webhooks_over_http(db, receiver):
    team = build(db, annotators=1, items=2)
    pid = team.project_id
    client = TestClient(create_app(db=db))

    def as_(actor):
        return {"Authorization": f"Bearer {accounts.issue_token(db, None, user_id=actor.user_id)}"}

    lead, ann = as_(team.lead), as_(team.annotators[0])
    url = f"/api/v1/projects/{pid}/webhooks"
    assert client.post(url, json={"url": receiver.url}, headers=ann).status_code == 403
    bad = client.post(url, json={"url": "ftp://x"}, headers=lead)
    assert bad.status_code == 422 and bad.json()["field"] == "url"
    made = client.post(
        url, json={"url": receiver.url, "events": ["guideline.published"]}, headers=lead
    )
    assert made.status_code == 201 and len(made.json()["secret"]) >= 32
    assert "secret" not in client.get(url, headers=lead).json()[0]
    hook_id = made.json()["id"]
    off = client.patch(f"{url}/{hook_id}", json={"active": False}, headers=lead)
    assert off.json()["active"] is False
    worker.drain(db, jobs=())
    assert receiver.received == []  # inactive: nothing fanned out
    client.patch(f"{url}/{hook_id}", json={"active": True, "events": ["*"]}, headers=lead)
    _annotate(db, team)
    worker.drain(db, jobs=())
    log = client.get(f"{url}/{hook_id}/deliveries", headers=lead)
    assert log.status_code == 200 and [d["event_type"] for d in log.json()] == ["item.annotated"]
    assert client.get(f"{url}/{hook_id}/deliveries", headers=ann).status_code == 403
    assert client.get(f"{url}/999/deliveries", headers=lead).status_code == 404
    assert client.delete(f"{url}/{hook_id}", headers=lead).json()["deleted"] is True
