"""Structured logs: one JSON line per request naming its id, user and project, and the id
handed back to the caller; `/metrics` with the new backlog families."""

from __future__ import annotations

import io
import json
import logging

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from labelcrew.app import create_app
from labelcrew.http import request_log
from labelcrew.services.accounts import users as accounts
from labelcrew.services.platform.events import emit
from tests.integration.team import build


@pytest.fixture
def json_log():
    out = io.StringIO()
    request_log.configure_logging(request_log.LogSettings(log_format="json", access_log=True))
    handler = logging.getLogger("labelcrew").handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)
    yield out
    root = logging.getLogger("labelcrew")
    root.handlers, root.propagate = [], True
    root.setLevel(logging.NOTSET)
    request_log.access_log.disabled = True


def _client(db, user_id: int) -> TestClient:
    client = TestClient(create_app(db=db))
    client.headers["Authorization"] = f"Bearer {accounts.issue_token(db, None, user_id=user_id)}"
    return client


def test_each_request_logs_one_json_line_with_its_ids(db, json_log) -> None:
    team = build(db, annotators=1, items=2)
    member = team.annotators[0]
    client = _client(db, member.user_id)
    given = client.post(
        f"/api/v1/projects/{team.project_id}/next", headers={"X-Request-ID": "edge-42"}
    )
    assert given.status_code == 200 and given.headers["x-request-id"] == "edge-42"
    made = client.get(f"/api/v1/projects/{team.project_id}")
    assert made.status_code == 200
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "labelcrew.access"]
    assert [a["route"] for a in access] == [
        "/api/v1/projects/{project_id}/next",  # the hot lane, which FastAPI never sees
        "/api/v1/projects/{project_id}",
    ]
    assert access[0]["request_id"] == "edge-42"
    assert access[1]["request_id"] == made.headers["x-request-id"] != "edge-42"
    for a in access:
        assert a["user_id"] == member.user_id and a["project_id"] == team.project_id
        assert a["status"] == 200 and a["level"] == "info" and a["ms"] >= 0


def test_an_unusable_request_id_is_replaced_and_a_refusal_is_logged(db, json_log) -> None:
    client = TestClient(create_app(db=db))
    answer = client.get("/api/v1/me", headers={"X-Request-ID": "x" * 200})
    assert answer.status_code == 401
    assert len(answer.headers["x-request-id"]) == 16
    [line] = [json.loads(x) for x in json_log.getvalue().splitlines()]
    assert line["status"] == 401 and "user_id" not in line


def test_bad_log_settings_name_the_variable() -> None:
    with pytest.raises(ValueError, match="LABELCREW_LOG_FORMAT"):
        request_log.configure_logging(request_log.LogSettings(log_format="xml"))
    with pytest.raises(ValueError, match="LABELCREW_LOG_LEVEL"):
        request_log.configure_logging(request_log.LogSettings(log_level="LOUD"))


def test_metrics_show_backlogs_processes_and_statuses(db) -> None:
    team = build(db, annotators=1, items=2)
    with db.uow() as uow:
        emit(uow, project_id=team.project_id, event_type="item.annotated", payload={})
        uow.commit()
    client = TestClient(create_app(db=db), client=("127.0.0.1", 50000))
    assert client.get("/healthz").status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    backlog = families["labelcrew_outbox_backlog"].samples[0].value
    assert backlog >= 1  # build()'s own events and this one: no worker ran
    for name in (
        "labelcrew_leases_lapsed",
        "labelcrew_webhook_deliveries_pending",
        "labelcrew_webhook_deliveries_dead",
        "labelcrew_worker_jobs",
        "labelcrew_process_cpu_seconds",
        "labelcrew_process_resident_memory_bytes",
        "labelcrew_server_processes",
    ):
        assert name in families, name
    assert families["labelcrew_process_resident_memory_bytes"].samples[0].value > 1e6
    requests = {
        (s.labels["route"], s.labels["status"]): s.value
        for s in families["labelcrew_http_requests"].samples
        if s.name == "labelcrew_http_requests_total"
    }
    assert requests[("/healthz", "2xx")] == 1
