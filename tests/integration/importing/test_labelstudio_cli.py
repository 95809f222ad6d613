"""`labelcrew import-labelstudio` and `labelcrew export-labelstudio` through CliRunner: the
exact commands of the README's "Coming from Label Studio" section."""

from __future__ import annotations

import json

import orjson
import pytest
from typer.testing import CliRunner

from labelcrew.services.accounts.users import create_user
from tests.integration.importing.test_labelstudio_import import FIXTURES, labels_of


@pytest.fixture
def cli(db, monkeypatch):
    from labelcrew.cli import app, labelstudio

    create_user(db, None, username="admin", password="a-long-password", is_admin=True)
    monkeypatch.setattr(labelstudio, "get_db", lambda: db)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def test_dry_run_then_import_then_export_and_back(cli, db, tmp_path):
    config, export = FIXTURES / "ner_config.xml", FIXTURES / "ner.json"
    dry = cli("import-labelstudio", "news", export, "--config", config, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would create" in dry.output and "nothing was written" in dry.output
    assert "Labels 'label' -> spans field 'label'" in dry.output
    assert labels_of(db, "news") == {}
    done = cli("import-labelstudio", "news", export, "--config", config, "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert (report["items_created"], report["annotations_created"]) == (3, 4)
    out, xml = tmp_path / "news.json", tmp_path / "news.xml"
    exported = cli("export-labelstudio", "news", "--out", out, "--config-out", xml)
    assert exported.exit_code == 0, exported.output
    assert len(orjson.loads(out.read_bytes())) == 3 and xml.read_text() == config.read_text()
    back = cli("import-labelstudio", "news-again", out, "--config", xml, "--json")
    assert back.exit_code == 0, back.output
    assert labels_of(db, "news-again") == labels_of(db, "news")


def test_a_refused_import_names_each_problem_and_exits_1(cli, db, tmp_path):
    tasks = orjson.loads((FIXTURES / "boxes.json").read_bytes())
    tasks[0]["annotations"][0]["result"][0]["value"]["rotation"] = 30
    bad = tmp_path / "boxes.json"
    bad.write_bytes(orjson.dumps(tasks))
    result = cli("import-labelstudio", "street", bad, "--config", FIXTURES / "boxes_config.xml")
    assert result.exit_code == 1
    assert "rotated by 30 degrees" in result.output and "labelstudio_rejected" in result.output


def test_annotators_by_id_are_mapped_through_the_users_file(cli, db, tmp_path):
    tasks = orjson.loads((FIXTURES / "ner.json").read_bytes())
    for task in tasks:
        for annotation in task["annotations"]:
            del annotation["created_username"]
    export = tmp_path / "ner.json"
    export.write_bytes(orjson.dumps(tasks))
    users = tmp_path / "users.json"
    users.write_text(
        json.dumps([{"id": 2, "email": "ann@x.example"}, {"id": 3, "email": "bo@x.example"}])
    )
    config = FIXTURES / "ner_config.xml"
    result = cli(
        "import-labelstudio", "news", export, "--config", config, "--annotators", users, "--json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["members_created"] == ["ann@x.example", "bo@x.example"]


def test_against_a_remote_server_with_a_token_and_no_database(db):
    from labelcrew.cli import app
    from labelcrew.services.accounts.users import issue_token
    from tests.browser.conftest import Server

    admin = create_user(db, None, username="admin", password="a-long-password", is_admin=True)
    token = issue_token(db, None, user_id=admin.id)
    config, export = FIXTURES / "boxes_config.xml", FIXTURES / "boxes.json"
    runner = CliRunner()
    with Server(db) as server:
        args = ["import-labelstudio", "street", str(export), "--config", str(config)]
        done = runner.invoke(app, [*args, "--url", server.url, "--token", token, "--json"])
        assert done.exit_code == 0, done.output
        # stdout alone: the in-process server's log lines go to stderr, which `output` mixes in
        assert json.loads(done.stdout)["annotations_created"] == 3
        refused = runner.invoke(app, [*args, "--url", server.url, "--token", "lc_wrong"])
    assert refused.exit_code == 1 and "invalid_token" in refused.output
    assert len(labels_of(db, "street")) == 3
