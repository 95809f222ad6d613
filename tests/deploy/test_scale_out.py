"""Scale-out on one PostgreSQL, as deploy/compose.yaml runs it: the `api` service's command
(`serve --workers 2`: two server processes behind one port) and the `worker` service's command
as many times as its replicas, all with deploy/labelcrew.env, started together on a fresh
database. Annotators over fresh connections land on both server processes; afterwards there
are no duplicates, every acknowledged submit is stored, every event reached the webhook once,
every periodic job ran once in the fleet, and `/metrics` adds both processes up."""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from labelcrew.benchmarks.assign import check, seed
from labelcrew.db.engine import make_engine
from labelcrew.db.models.core import OutboxEvent, User
from labelcrew.db.models.platform import WebhookDelivery, WorkerJob
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform import webhooks
from labelcrew.services.platform.jobs import PERIODIC_JOBS
from labelcrew.services.uow import Database
from tests.deploy.procs import REPO, Proc, environment, free_port, fresh_postgres, wait_healthy
from tests.integration.platform.test_webhooks import SECRET, Receiver

DEPLOY = REPO / "deploy"
ANNOTATORS, ITEMS, OVERLAP = 6, 40, 2
METRICS_TOKEN = "scale-out-metrics-token-0123456789"
SUBMIT_ROUTE = "/api/v1/projects/{project_id}/items/{item_id}/annotations"


def topology() -> tuple[list[str], list[str], int, dict[str, str]]:
    """The api and worker commands, the worker replicas and the settings of compose.yaml."""
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    env = {}
    for line in (DEPLOY / "labelcrew.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    replicas = int(services["worker"].get("deploy", {}).get("replicas", 1))
    return services["api"]["command"], services["worker"]["command"], replicas, env


def _with(command: list[str], option: str, value: str) -> list[str]:
    out = list(command)
    out[out.index(option) + 1] = value
    return out


def _post(port: int, token: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One request on its own connection, so the kernel hands each to either process."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers |= {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
    try:
        conn.request("POST", path, body=payload, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        return answer.status, json.loads(data) if data else {}
    finally:
        conn.close()


def annotate(port: int, project_id: int, token: str, acks: list[int], errors: list[str]) -> None:
    while True:
        status, got = _post(port, token, f"/api/v1/projects/{project_id}/next")
        if status == 404 and got.get("code") == "queue_empty":
            return
        if status != 200:
            errors.append(f"next {status} {got}")
            return
        item_id = got["item"]["id"]
        status, sent = _post(
            port,
            token,
            f"/api/v1/projects/{project_id}/items/{item_id}/annotations",
            {"value": {"sentiment": "positive"}},
        )
        if status != 201:
            errors.append(f"submit {status} {sent}")
            return
        acks.append(item_id)


def _wait_drained(db: Database, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.uow(read_only=True) as uow:
            backlog = uow.session.scalar(
                select(func.count()).where(OutboxEvent.processed_at.is_(None))
            )
            pending = uow.session.scalar(
                select(func.count()).where(WebhookDelivery.state == "pending")
            )
        if backlog == 0 and pending == 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"workers left {backlog} events and {pending} deliveries")


def _access_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("logger") == "labelcrew.access":
                out.append(record)
    return out


def test_two_servers_and_two_workers_on_one_postgres(tmp_path: Path) -> None:
    api_command, worker_command, replicas, settings = topology()
    assert "--workers" in api_command and api_command[api_command.index("--workers") + 1] == "2"
    assert replicas == 2
    with fresh_postgres() as url, Receiver() as receiver:
        env = environment(
            url,
            tmp_path / "data",
            **settings,
            LABELCREW_METRICS_TOKEN=METRICS_TOKEN,
        )
        port = free_port()
        api = _with(_with(api_command, "--port", str(port)), "--host", "127.0.0.1")
        workers = [_with(worker_command, "--metrics-port", str(free_port())) for _ in range(2)]
        procs = [Proc(api, env, tmp_path / "api.log")] + [
            Proc(command, env, tmp_path / f"worker{i}.log") for i, command in enumerate(workers)
        ]
        try:
            wait_healthy(port, procs[0])
            seeded = seed(url, annotators=ANNOTATORS, items=ITEMS, overlap=OVERLAP)
            engine = make_engine(url)
            db = Database(engine)
            with db.uow(read_only=True) as uow:
                admin = uow.session.scalar(select(User.id).where(User.username == "bench-admin"))
            webhooks.create_webhook(
                db,
                Actor(int(admin), "bench-admin", True),
                seeded.project_id,
                url=receiver.url,
                events=["item.annotated"],
                secret=SECRET,
            )
            acks: list[int] = []
            errors: list[str] = []
            threads = [
                threading.Thread(target=annotate, args=(port, seeded.project_id, t, acks, errors))
                for t in seeded.tokens
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            assert errors == []
            _wait_drained(db)
            scrape = httpx.get(
                f"http://127.0.0.1:{port}/metrics",
                headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
            ).text
            with db.uow(read_only=True) as uow:
                runs = dict(uow.session.execute(select(WorkerJob.name, WorkerJob.runs)).all())
            engine.dispose()
        finally:
            codes = [proc.stop() for proc in procs]
        found = check(url, seeded.project_id, OVERLAP)

    outputs = {proc.log.name: proc.output() for proc in procs}
    assert all("Traceback" not in text for text in outputs.values()), outputs
    # Every item got its two labels from two different people, each acknowledged once.
    assert len(acks) == ITEMS * OVERLAP and Counter(Counter(acks).values()) == {OVERLAP: ITEMS}
    assert found["items_over_overlap"] == 0 and found["pairs_twice"] == 0  # 0 duplicates
    assert found["stored"] == len(acks)  # 0 lost submits
    delivered = Counter(x["body"]["data"]["annotation_id"] for x in receiver.received)
    assert len(delivered) == len(acks) and set(delivered.values()) == {1}
    assert runs == {job.name: 1 for job in PERIODIC_JOBS}  # each job once in the fleet
    # The annotators were served by both server processes...
    submits = [r for r in _access_lines(outputs["api.log"]) if r["route"] == SUBMIT_ROUTE]
    by_pid = Counter(r["pid"] for r in submits)
    assert len(by_pid) == 2 and sum(by_pid.values()) == len(acks), by_pid
    assert all(r["user_id"] and r["project_id"] == seeded.project_id for r in submits)
    # ...and one scrape adds both up.
    families = {f.name: f for f in text_string_to_metric_families(scrape)}
    assert families["labelcrew_server_processes"].samples[0].value == 2
    served = sum(
        s.value
        for s in families["labelcrew_http_requests"].samples
        if s.labels.get("route") == SUBMIT_ROUTE and s.labels.get("status") == "2xx"
    )
    assert served == len(acks)
    assert families["labelcrew_outbox_backlog"].samples[0].value == 0
    # SIGTERM: the workers stop cleanly (uvicorn re-raises the signal after its clean stop).
    assert codes[1:] == [0, 0], outputs
    assert all("worker stopped" in outputs[f"worker{i}.log"] for i in range(2))
