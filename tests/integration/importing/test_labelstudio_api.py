"""The Label Studio import and export over HTTP: admin-only import (it creates projects and
users), dry run, refusal body, export and config for members allowed to export."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from labelcrew.api.schemas.imports import LabelStudioExportTask, LabelStudioReportOut
from labelcrew.app import create_app
from labelcrew.services.accounts import users as accounts
from tests.integration.importing.test_labelstudio_import import FIXTURES, labels_of

URL = "/api/v1/projects:import-labelstudio"


def _client(db, username: str, admin: bool) -> TestClient:
    user = accounts.create_user(
        db, None, username=username, password="a-long-password", is_admin=admin
    )
    client = TestClient(create_app(db=db))
    client.headers["Authorization"] = f"Bearer {accounts.issue_token(db, None, user_id=user.id)}"
    return client


def _files(config: str, export: str, content: bytes | None = None) -> dict:
    return {
        "file": (export, content or (FIXTURES / export).read_bytes(), "application/json"),
        "config": (config, (FIXTURES / config).read_bytes(), "application/xml"),
    }


def test_import_dry_run_then_real_then_export_and_config(db):
    admin = _client(db, "admin", True)
    files = _files("boxes_config.xml", "boxes.json")
    dry = admin.post(URL, data={"project": "street", "dry_run": "true"}, files=files)
    assert dry.status_code == 200, dry.text
    LabelStudioReportOut.model_validate(dry.json())
    assert dry.json()["dry_run"] and labels_of(db, "street") == {}
    done = admin.post(URL, data={"project": "street", "name": "Street"}, files=files)
    assert done.status_code == 200, done.text
    report = done.json()
    assert (report["items_created"], report["annotations_created"]) == (2, 3)
    assert report["unmapped"][0]["tag"] == "PolygonLabels"
    project_id = admin.get("/api/v1/projects").json()[0]["id"]
    exported = admin.get(f"/api/v1/projects/{project_id}/labelstudio:export")
    assert exported.status_code == 200, exported.text
    tasks = TypeAdapter(list[LabelStudioExportTask]).validate_python(exported.json())
    assert [len(t.annotations) for t in tasks] == [2, 1] and tasks[0].predictions
    config = admin.get(f"/api/v1/projects/{project_id}/labelstudio:config")
    assert config.status_code == 200 and "<RectangleLabels" in config.json()["config"]


def test_only_admins_import_and_a_refusal_names_the_region(db):
    member = _client(db, "ann", False)
    files = _files("ner_config.xml", "ner.json")
    assert member.post(URL, data={"project": "news"}, files=files).status_code == 403
    admin = _client(db, "admin", True)
    bad = (FIXTURES / "ner.json").read_bytes().replace(b'"PER"', b'"PERSON"', 1)
    refused = admin.post(
        URL, data={"project": "news"}, files=_files("ner_config.xml", "ner.json", bad)
    )
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "labelstudio_rejected" and body["details"]["error_count"] == 1
    assert "'PERSON' is not one of" in body["details"]["errors"][0]["message"]


def test_a_quick_export_names_its_annotators_through_the_users_file(db):
    admin = _client(db, "admin", True)
    data = FIXTURES.parents[1] / "data" / "labelstudio"
    files = {
        "file": ("ner.json", (data / "ner_ls_export.json").read_bytes(), "application/json"),
        "config": ("ner.xml", (data / "ner_config.xml").read_bytes(), "application/xml"),
        "annotators": ("users.json", (data / "ls_users.json").read_bytes(), "application/json"),
    }
    done = admin.post(URL, data={"project": "news"}, files=files)
    assert done.status_code == 200, done.text
    assert done.json()["members_created"] == ["ann.kim@acme.example", "bo@acme.example"]
    files["annotators"] = ("users.json", b"", "application/json")  # an empty file input
    again = admin.post(URL, data={"project": "news"}, files=files)
    assert again.status_code == 200 and again.json()["annotations_unchanged"] == 4
    assert again.json()["members_created"] == []  # known labels make no member of an id
