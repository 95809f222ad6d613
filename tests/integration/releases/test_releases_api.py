"""Releases over HTTP and the CLI: who may do what, every export format round-trips, and every
export is in the audit log."""

from __future__ import annotations

import csv
import io
import json

import orjson
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from labelcrew.app import create_app
from labelcrew.cli import app as cli_app
from labelcrew.config import get_settings
from labelcrew.db.models.core import AuditEvent
from labelcrew.services.accounts import users as accounts
from labelcrew.services.projects import projects
from tests.integration.releases.test_releases import scenario
from tests.integration.team import user

FORMATS = ("jsonl", "csv", "parquet", "labelstudio")


def _client(db, actor) -> TestClient:
    client = TestClient(create_app(db=db))
    token = accounts.issue_token(db, None, user_id=actor.user_id)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _exports(db) -> list[AuditEvent]:
    with db.uow(read_only=True) as uow:
        return list(
            uow.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "release.export")
                .order_by(AuditEvent.id)
            )
        )


def _parse(fmt: str, body: bytes) -> dict[str, dict]:
    """Read an export back into {external_id: {label, confidence, value, ...}}."""
    if fmt == "jsonl":
        rows = [orjson.loads(line) for line in body.splitlines()]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        for r in rows:
            for key in ("value", "votes", "data", "guideline_versions", "schema_versions"):
                r[key] = json.loads(r[key])
            r["item_id"], r["n_labels"] = int(r["item_id"]), int(r["n_labels"])
            r["confidence"] = float(r["confidence"])
    elif fmt == "parquet":
        table = pq.read_table(io.BytesIO(body))
        assert table.schema.metadata[b"labelcrew.release"] == b"v1"
        rows = table.to_pylist()
        for r in rows:
            for key in ("value", "votes", "data"):
                r[key] = json.loads(r[key])
    else:
        rows = []
        for task in json.loads(body):
            result = task["annotations"][0]["result"]
            picked = {
                r["from_name"]: r["value"]["choices"][0]
                if r["type"] == "choices"
                else r["value"]["text"][0]
                for r in result
            }
            assert all(r["to_name"] == "text" for r in result)
            rows.append(
                {
                    **task["meta"],
                    "item_id": task["id"],
                    "data": task["data"],
                    "label": picked["sentiment"],
                    "ls_value": picked,
                }
            )
    return {r["external_id"]: r for r in rows}


def test_every_export_format_round_trips_and_is_audited(db):
    team, _, _ = scenario(db)
    lead = _client(db, team.lead)
    created = lead.post(
        f"/api/v1/projects/{team.project_id}/releases", json={"name": "v1", "method": "mv"}
    )
    assert created.status_code == 201, created.text
    parsed = {}
    for fmt in FORMATS:
        resp = lead.get(f"/api/v1/projects/{team.project_id}/releases/v1/export?format={fmt}")
        assert resp.status_code == 200, resp.text
        assert "demo-v1." in resp.headers["content-disposition"]
        parsed[fmt] = _parse(fmt, resp.content)
    reference = parsed["jsonl"]
    assert set(reference) == {"x0", "x1", "x5", "x7"}
    for fmt in ("csv", "parquet", "labelstudio"):
        assert set(parsed[fmt]) == set(reference), fmt
        for ext, row in reference.items():
            got = parsed[fmt][ext]
            for key in ("item_id", "label", "confidence", "source", "method", "n_labels"):
                assert got[key] == row[key], (fmt, ext, key)
            assert got["data"] == row["data"]
            if fmt == "labelstudio":
                assert got["ls_value"] == {k: v for k, v in row["value"].items() if v is not None}
            else:
                assert got["value"] == row["value"] and got["votes"] == row["votes"]
                assert got["guideline_versions"] == row["guideline_versions"]
    records = _exports(db)
    assert [r.after["format"] for r in records] == list(FORMATS)
    assert {r.actor_id for r in records} == {team.lead.user_id}
    assert {r.after["content_hash"] for r in records} == {created.json()["content_hash"]}
    bad = lead.get(f"/api/v1/projects/{team.project_id}/releases/v1/export?format=xml")
    assert bad.status_code == 422 and bad.json()["field"] == "format"
    assert len(_exports(db)) == len(FORMATS)  # a refused export is not recorded as one


def test_permissions_members_read_notes_only_leads_create_and_export(db):
    team, _, _ = scenario(db)
    pid = team.project_id
    reviewer = user(db, "rev")
    projects.set_member(db, team.admin, pid, username="rev", roles=["reviewer"])
    ann, rev = _client(db, team.annotators[0]), _client(db, reviewer)
    lead, admin = _client(db, team.lead), _client(db, team.admin)
    base = f"/api/v1/projects/{pid}/releases"
    assert ann.post(base, json={"name": "v1"}).status_code == 403
    assert rev.post(base, json={"name": "v1"}).status_code == 403
    assert lead.post(base, json={"name": "v1"}).status_code == 201
    assert admin.post(base, json={"name": "v2", "min_confidence": 0.9}).status_code == 201
    assert lead.post(base, json={"name": "v1"}).json()["code"] == "release_exists"
    for client in (ann, rev):
        notes = client.get(f"{base}/v1")
        assert notes.status_code == 200 and notes.json()["manifest"]["counts"]["items"] == 8
        assert client.get(base).json()[1]["name"] == "v2"
        assert client.get(f"{base}/v1/verify").json()["ok"] is True
        excluded = client.get(f"{base}/v1/excluded").json()
        assert all("label" not in e for e in excluded) and excluded
        assert client.get(f"{base}/v1/export?format=jsonl").status_code == 403
    assert ann.get(f"{base}/v2/diff").status_code == 403
    diff = rev.get(f"{base}/v2/diff")  # against the previous release by default
    assert diff.status_code == 200 and diff.json()["from"]["name"] == "v1"
    assert rev.get(f"{base}/v2/diff?base=v2").json()["same_content"] is True
    assert rev.get(f"{base}/v1/diff").json()["code"] == "no_previous_release"
    assert lead.get(f"{base}/nope").status_code == 404
    assert admin.get(f"{base}/v1/export?format=csv").status_code == 200
    assert [r.actor_id for r in _exports(db)] == [team.admin.user_id]


@pytest.fixture
def cli_env(db_url, monkeypatch):
    monkeypatch.setenv("LABELCREW_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_create_diff_export_audited(db, cli_env, tmp_path):
    team, _, _ = scenario(db)
    runner = CliRunner()
    made = runner.invoke(cli_app, ["release", "create", "demo", "--name", "v1", "--method", "mv"])
    assert made.exit_code == 0, made.output
    assert "v1" in made.output and "sha256" in made.output
    again = runner.invoke(cli_app, ["release", "create", "demo", "--name", "v1"])
    assert again.exit_code == 1 and "release_exists (name)" in again.output
    runner.invoke(
        cli_app, ["release", "create", "demo", "--name", "v2", "--min-confidence", "0.99"]
    )
    diff = runner.invoke(cli_app, ["release", "diff", "demo", "v1", "v2", "--json"])
    assert diff.exit_code == 0, diff.output
    assert json.loads(diff.output)["to"]["name"] == "v2"
    out = tmp_path / "v1.parquet"
    done = runner.invoke(
        cli_app, ["release", "export", "demo", "v1", "--format", "parquet", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    table = pq.read_table(out)
    assert sorted(table.column("external_id").to_pylist()) == ["x0", "x1", "x5", "x7"]
    verify = runner.invoke(cli_app, ["release", "verify", "demo", "v1"])
    assert verify.exit_code == 0 and "ok" in verify.output
    records = _exports(db)
    assert len(records) == 1 and records[0].after["format"] == "parquet"
    assert records[0].actor_id == team.admin.user_id
