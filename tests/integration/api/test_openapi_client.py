"""A Python client generated from `/openapi.json` (openapi-python-client) does one next ->
submit round trip: the document is complete enough for a client nobody wrote by hand.
`--fail-on-warning` also fails on what the generator skips (two request models named
`AnswerIn` in two routers once made it drop the escalation answer endpoint)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import typing
from pathlib import Path

from fastapi.testclient import TestClient

from labelcrew.app import create_app
from labelcrew.services.accounts import users as accounts
from tests.integration.team import build

CONFIG = "post_hooks: []\nproject_name_override: lc_client\npackage_name_override: lc_client\n"


def _generate(spec: dict[str, typing.Any], where: Path) -> None:
    (where / "spec.json").write_text(json.dumps(spec))
    (where / "config.yml").write_text(CONFIG)
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("openapi-python-client")),
            "generate",
            "--path", str(where / "spec.json"),
            "--config", str(where / "config.yml"),
            "--meta", "none",
            "--output-path", str(where / "lc_client"),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _operation(package: str, prefix: str) -> typing.Any:
    folder = Path(importlib.import_module(package).__path__[0])
    (name,) = [p.stem for p in folder.glob(f"{prefix}*.py")]
    return importlib.import_module(f"{package}.{name}")


def test_a_generated_client_labels_one_item(db, tmp_path: Path, monkeypatch) -> None:
    team = build(db, annotators=1, items=2)
    token = accounts.issue_token(db, None, user_id=team.annotators[0].user_id)
    app = create_app(db=db)
    _generate(app.openapi(), tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == "lc_client" or m.startswith("lc_client.")]:
        monkeypatch.delitem(sys.modules, name)
    client_module = importlib.import_module("lc_client")
    next_op = _operation("lc_client.api.work", "next_item_")
    submit_op = _operation("lc_client.api.work", "submit_")
    body_type = typing.get_type_hints(submit_op._get_kwargs)["body"]

    client = client_module.Client(base_url="http://testserver")
    client.set_httpx_client(TestClient(app, headers={"Authorization": f"Bearer {token}"}))
    served = next_op.sync_detailed(team.project_id, client=client)
    assert served.status_code == 200, served.content
    item = json.loads(served.content)["item"]
    body = body_type.from_dict({"value": {"sentiment": "positive"}})
    stored = submit_op.sync_detailed(
        team.project_id, item["id"], client=client, body=body, idempotency_key="round-trip-1"
    )
    assert stored.status_code == 201, stored.content
    out = json.loads(stored.content)
    assert out["item_id"] == item["id"] and out["value"]["sentiment"] == "positive"
