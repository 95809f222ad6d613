"""The deploy files agree with the code: no container daemon here to build the image, so what
can be checked without one is: every metric the dashboard plots exists, Prometheus scrapes the
services compose runs on the ports they listen on, and the image runs as a non-root user."""

from __future__ import annotations

import json
import re

import yaml
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY, generate_latest

from labelcrew.app import create_app
from labelcrew.services.platform import worker, worker_metrics
from tests.deploy.procs import REPO
from tests.integration.team import build

DEPLOY = REPO / "deploy"
METRIC = re.compile(r"\blabelcrew_[a-z_]+")


def _exposed_names(db) -> set[str]:
    client = TestClient(create_app(db=db), client=("127.0.0.1", 50000))
    assert client.get("/healthz").status_code == 200
    worker_metrics.JOB_RUNS.labels("probe", "ok").inc(0)  # labelled series appear once used
    worker_metrics.JOB_SECONDS.labels("probe")
    worker_metrics.WEBHOOK_ATTEMPTS.labels("delivered")
    text = client.get("/metrics").text + generate_latest(REGISTRY).decode()
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}


def test_every_metric_on_the_dashboard_is_exposed(db) -> None:
    build(db, annotators=1, items=1)
    worker.run_periodic(db, [worker.PeriodicJob("probe", 60, lambda _db: None)])
    dashboard = json.loads((DEPLOY / "grafana" / "labelcrew.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    wanted = {name for expr in exprs for name in METRIC.findall(expr)}
    exposed = _exposed_names(db)
    missing = {n for n in wanted if n not in exposed}
    assert not missing, f"the dashboard plots metrics nothing exposes: {sorted(missing)}"


def test_prometheus_scrapes_what_compose_runs() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    scrape = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())["scrape_configs"]
    jobs = {job["job_name"]: job for job in scrape}
    api = services["api"]["command"]
    assert jobs["labelcrew-api"]["static_configs"][0]["targets"] == [
        f"api:{api[api.index('--port') + 1]}"
    ]
    # Outside loopback the server's /metrics wants the token: Prometheus sends it.
    assert "metrics_token" in jobs["labelcrew-api"]["authorization"]["credentials_file"]
    assert services["prometheus"]["secrets"] == ["metrics_token"]
    worker = services["worker"]["command"]
    [dns] = jobs["labelcrew-worker"]["dns_sd_configs"]
    assert dns["names"] == ["worker"] and dns["port"] == int(
        worker[worker.index("--metrics-port") + 1]
    )


def test_the_image_runs_the_cli_as_a_non_root_user_with_a_healthcheck() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert 'ENTRYPOINT ["python", "-m", "labelcrew.cli"]' in dockerfile
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    cmd = re.search(r"^CMD (\[.*\])", dockerfile, re.M)
    assert cmd and json.loads(cmd.group(1)) == compose["services"]["api"]["command"]
