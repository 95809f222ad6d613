"""Releases for every field kind (issue 16): each field's consensus and confidence, an item
never more certain than its weakest required field, and releases of projects without a
single-choice field (NER only, boxes only)."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from labelcrew.app import create_app
from labelcrew.services.accounts import users as accounts
from labelcrew.services.releases import formats as releases_export
from labelcrew.services.releases import publish as releases
from labelcrew.services.work import assignment, submission
from tests.integration.team import Team, build

SEVEN = {
    "fields": [
        {"name": "topic", "kind": "single_choice", "options": ["sport", "politics"]},
        {"name": "tags", "kind": "multi_choice", "options": ["a", "b", "c"]},
        {"name": "severity", "kind": "rating", "min": 1, "max": 5, "step": 1},
        {"name": "order", "kind": "ranking", "candidates": 3},
        {"name": "entities", "kind": "spans", "labels": ["PER", "ORG"]},
        {"name": "boxes", "kind": "bbox", "labels": ["car"]},
        {"name": "note", "kind": "text", "required": False},
    ]
}
CAR = {"x": 1, "y": 1, "w": 20, "h": 10, "label": "car"}
FIRST = {
    "topic": "sport",
    "tags": ["a"],
    "severity": 4,
    "order": [0, 1, 2],
    "entities": [{"start": 0, "end": 4, "label": "PER"}],
    "boxes": [CAR],
    "note": "fine",
}


def _label_all(db, team: Team, values: list[dict[str, Any]]) -> None:
    """Each annotator in turn labels every item they are served with their own value."""
    for k, (who, value) in enumerate(zip(team.annotators, values, strict=True)):
        n = 0
        while True:
            try:
                lease = assignment.next_item(db, who, team.project_id)
            except Exception:  # the annotator's queue is empty
                break
            item_id = lease["item"]["id"]
            submission.submit(db, who, team.project_id, item_id, value, idempotency_key=f"{k}-{n}")
            n += 1


def _rows(db, team: Team, name: str, fmt: str = "jsonl") -> list[dict[str, Any]]:
    file = releases_export.export_release(db, team.lead, team.project_id, name, fmt)
    return [orjson.loads(line) for line in file.content.splitlines()]


def test_the_seven_field_case_gives_each_disagreement_its_own_confidence(db):
    team = build(db, annotators=2, items=1, overlap=2, schema=SEVEN)
    second = {
        **FIRST,
        "severity": 3,
        "order": [1, 0, 2],
        "entities": [{"start": 0, "end": 4, "label": "ORG"}],
        "boxes": [{**CAR, "x": 60}],
        "note": "ok",
    }
    _label_all(db, team, [FIRST, second])
    out = releases.create_release(db, team.lead, team.project_id, name="v1", method="mv")
    frozen = _frozen(db, team, "v1")
    fields = frozen["fields"]
    assert fields["topic"]["confidence"] == 1.0 and fields["tags"]["confidence"] == 1.0
    for name in ("severity", "order", "entities", "boxes"):
        assert fields[name]["confidence"] < 1.0, name
    assert fields["note"]["confidence"] is None and fields["note"]["value"] is None
    assert fields["note"]["detail"] == {"values": ["fine", "ok"]}
    required = [f["name"] for f in SEVEN["fields"] if f.get("required", True)]
    assert frozen["confidence"] == min(fields[n]["confidence"] for n in required) < 1.0
    assert {a["value"]["severity"] for a in frozen["annotations"]} == {3, 4}
    # one against one on a rating is a tie: the item is out, and the reason names the field
    assert out["manifest"]["counts"]["excluded_by_reason"] == {"tied": 1}
    (left_out,) = releases.excluded_items(db, team.project_id, "v1")
    assert (left_out["reason"], left_out["reason_field"]) == ("tied", "severity")
    assert set(out["manifest"]["fields"]) == {f["name"] for f in SEVEN["fields"]}


def _frozen(db, team: Team, name: str) -> dict[str, Any]:
    from labelcrew.services.projects.projects import load_project

    with db.uow(read_only=True) as uow:
        project = load_project(uow, team.project_id)
        release = releases.load_release(uow, project.id, name)
        (row,) = releases.release_rows(uow, release)
        return row


def test_agreeing_labels_on_every_kind_release_with_confidence_one(db):
    team = build(db, annotators=2, items=2, overlap=2, schema=SEVEN)
    _label_all(db, team, [FIRST, {**FIRST, "note": "fine"}])
    releases.create_release(db, team.lead, team.project_id, name="v1", method="mv")
    rows = _rows(db, team, "v1")
    assert len(rows) == 2
    for row in rows:
        assert row["value"] == FIRST and row["confidence"] == 1.0 and row["label"] == "sport"
        assert {f["confidence"] for n, f in row["fields"].items() if n != "note"} == {1.0}
    # Dawid-Skene gives the topic a posterior short of 1; every other kind stays at 1
    releases.create_release(db, team.lead, team.project_id, name="v1-ds", method="ds")
    for row in _rows(db, team, "v1-ds"):
        fields = row["fields"]
        assert row["confidence"] == fields["topic"]["confidence"] > 0.9
        assert {f["confidence"] for n, f in fields.items() if n not in ("topic", "note")} == {1.0}


def test_an_ner_only_project_releases_its_spans(db):
    schema = {"fields": [{"name": "entities", "kind": "spans", "labels": ["PER", "ORG"]}]}
    team = build(db, annotators=3, items=2, overlap=3, schema=schema)
    per = {"entities": [{"start": 0, "end": 4, "label": "PER"}]}
    two = {
        "entities": [
            {"start": 0, "end": 4, "label": "PER"},
            {"start": 5, "end": 11, "label": "ORG"},
        ]
    }
    _label_all(db, team, [per, per, two])
    out = releases.create_release(db, team.lead, team.project_id, name="ner-1", method="ds")
    assert out["field"] is None and out["included"] == 2
    rows = _rows(db, team, "ner-1")
    for row in rows:
        assert row["label"] is None
        # two of three marked only the person: the organisation, marked by one, is not kept
        assert row["value"] == per
        assert 0 < row["confidence"] < 1.0
    table = list(csv.DictReader(io.StringIO(_csv(db, team, "ner-1"))))
    assert orjson.loads(table[0]["field.entities"]) == per["entities"]
    assert 0 < float(table[0]["field.entities.confidence"]) < 1.0
    parquet = releases_export.export_release(db, team.lead, team.project_id, "ner-1", "parquet")
    assert parquet.rows == 2


def _csv(db, team: Team, name: str) -> str:
    file = releases_export.export_release(db, team.lead, team.project_id, name, "csv")
    return file.content.decode()


def test_a_boxes_only_project_releases_its_boxes(db):
    schema = {"fields": [{"name": "boxes", "kind": "bbox", "labels": ["car", "person"]}]}
    team = build(db, annotators=2, items=1, overlap=2, schema=schema)
    nudged = {"boxes": [{**CAR, "x": 2}]}
    _label_all(db, team, [{"boxes": [CAR]}, nudged])
    out = releases.create_release(db, team.lead, team.project_id, name="boxes-1", method="mv")
    assert out["included"] == 1
    (row,) = _rows(db, team, "boxes-1")
    (box,) = row["value"]["boxes"]
    assert box["label"] == "car" and 1 <= box["x"] <= 2 and box["w"] == 20
    assert row["confidence"] == 1.0  # both marked it: 2 of 2
    verified = releases.verify_release(db, team.project_id, "boxes-1")
    assert verified["recomputed"] == verified["content_hash"]


def test_a_release_without_a_single_choice_field_over_http(db):
    """The API's response models carry per-field releases: publish, read, exclusions, diff
    and the Label Studio export of a boxes-only project."""
    schema = {"fields": [{"name": "boxes", "kind": "bbox", "labels": ["car", "person"]}]}
    team = build(db, annotators=3, items=2, overlap=3, schema=schema)
    far = {"boxes": [{**CAR, "x": 200}]}
    _label_all(db, team, [{"boxes": [CAR]}, {"boxes": [{**CAR, "x": 2}]}, far])
    client = TestClient(create_app(db=db))
    token = accounts.issue_token(db, None, user_id=team.lead.user_id)
    auth = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/projects/{team.project_id}/releases"
    made = client.post(url, json={"name": "b1", "method": "mv"}, headers=auth)
    assert made.status_code == 201, made.text
    manifest = made.json()["manifest"]
    assert made.json()["field"] is None and manifest["estimator"] is None
    assert manifest["field_methods"]["boxes"].startswith("region")
    assert manifest["counts"]["included"] == 2
    assert manifest["fields"]["boxes"]["min_confidence"] == pytest.approx(2 / 3, abs=1e-6)
    assert client.get(f"{url}/b1", headers=auth).json() == made.json()
    strict = client.post(url, json={"name": "b2", "min_confidence": 0.9}, headers=auth)
    assert strict.status_code == 201, strict.text
    excluded = client.get(f"{url}/b2/excluded", headers=auth).json()
    assert [(e["reason"], e["reason_field"]) for e in excluded] == [
        ("below_min_confidence", "boxes")
    ] * 2
    diff = client.get(f"{url}/b2/diff", headers=auth)
    assert diff.status_code == 200, diff.text
    assert diff.json()["counts"]["removed"] == 2
    ls = client.get(f"{url}/b1/export", params={"format": "labelstudio"}, headers=auth)
    assert ls.status_code == 200
    tasks = ls.json()
    assert len(tasks) == 2 and tasks[0]["meta"]["label"] is None
    assert tasks[0]["meta"]["fields"]["boxes"]["detail"]
