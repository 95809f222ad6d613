"""Bodies FastAPI does not validate match the models that document them in /openapi.json.

Next and submit render their own `FastJSON` (the hot path skips response validation), and a
release's Label Studio export is a file the route builds itself: their response models are
documentation only, so real bodies are checked against them here, through the hot lane
(bearer token) and through FastAPI (`?another=true` goes past the lane)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from labelcrew.api.schemas.releases import LabelStudioTask, ReleaseDiffOut, ReleaseOut
from labelcrew.api.schemas.work import NextItemOut, SubmittedAnnotationOut
from labelcrew.app import create_app
from labelcrew.services.accounts import users as accounts
from labelcrew.services.releases import publish as releases
from tests.integration.releases.test_releases import label, publish_v2, scenario, supersede
from tests.integration.team import build


def _client(db, actor) -> TestClient:
    token = accounts.issue_token(db, None, user_id=actor.user_id)
    return TestClient(create_app(db=db), headers={"Authorization": f"Bearer {token}"})


def test_next_and_submit_bodies_match_their_models(db):
    team = build(db, annotators=1, items=3)
    client = _client(db, team.annotators[0])
    base = f"/api/v1/projects/{team.project_id}"
    for path in (f"{base}/next", f"{base}/next?another=true"):  # the lane, then FastAPI
        served = client.post(path)
        assert served.status_code == 200, served.text
        lease = NextItemOut.model_validate(served.json())
        url = f"{base}/items/{lease.item.id}/annotations"
        body = {"value": {"sentiment": "positive"}}
        key = {"Idempotency-Key": f"documented-{lease.item.id}"}
        stored = client.post(url, json=body, headers=key)
        assert stored.status_code == 201, stored.text
        first = SubmittedAnnotationOut.model_validate(stored.json())
        replay = client.post(url, json=body, headers=key)
        assert replay.status_code == 200, replay.text
        again = SubmittedAnnotationOut.model_validate(replay.json())
        assert first.created and not again.created
        assert again.annotation_id == first.annotation_id


def test_label_studio_export_matches_its_model(db):
    team, _, _ = scenario(db)
    lead = _client(db, team.lead)
    base = f"/api/v1/projects/{team.project_id}/releases"
    created = lead.post(base, json={"name": "v1", "method": "mv"})
    assert created.status_code == 201, created.text
    exported = lead.get(f"{base}/v1/export?format=labelstudio")
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("application/json")
    tasks = TypeAdapter(list[LabelStudioTask]).validate_python(exported.json())
    assert tasks and all(t.annotations[0].result for t in tasks)


def test_a_diff_with_every_kind_of_change_matches_its_model(db):
    """Added, removed, changed and confidence-only entries (each its own shape)."""
    team, item, _ = scenario(db)
    first = releases.create_release(db, team.lead, "demo", name="v1", method="mv")
    publish_v2(db, team)
    supersede(db, item["x7"])
    label(db, team, item["x7"], 0, "negative", guideline=2)
    label(db, team, item["x7"], 1, "negative", guideline=2)
    label(db, team, item["x0"], 3, "negative")
    label(db, team, item["x2"], 0, "neutral")
    label(db, team, item["x4"], 2, "positive")
    supersede(db, item["x5"])
    second = releases.create_release(db, team.lead, "demo", name="v2", method="mv")
    for created in (first, second):
        ReleaseOut.model_validate(created)
    lead = _client(db, team.lead)
    diff = lead.get(f"/api/v1/projects/{team.project_id}/releases/v2/diff")
    assert diff.status_code == 200, diff.text  # FastAPI validated it against ReleaseDiffOut
    parsed = ReleaseDiffOut.model_validate(diff.json())
    assert parsed.from_.name == "v1" and parsed.to.name == "v2"
    assert parsed.counts.model_dump() == {
        "added": 2,
        "removed": 1,
        "changed": 1,
        "confidence_changed": 1,
    }


def _every_release_body(db, team) -> dict:
    lead = _client(db, team.lead)
    base = f"/api/v1/projects/{team.project_id}/releases"
    for name, method in (("v1", "mv"), ("v2", "ds")):
        created = lead.post(base, json={"name": name, "method": method})
        assert created.status_code == 201, created.text
        ReleaseOut.model_validate(created.json())
    for path in ("v2/excluded", "v2/verify", "v2/diff"):
        assert lead.get(f"{base}/{path}").status_code == 200, path
    exported = lead.get(f"{base}/v2/export?format=labelstudio")
    assert exported.status_code == 200, exported.text
    TypeAdapter(list[LabelStudioTask]).validate_python(exported.json())
    notes = lead.get(f"{base}/v2")
    assert notes.status_code == 200, notes.text
    return notes.json()


def test_a_release_of_every_field_kind_matches_its_model(db):
    """A text field's detail, a tie excluded by its field, per-field methods and agreement."""
    from tests.integration.releases.test_releases_fields import CAR, FIRST, SEVEN, _label_all

    team = build(db, annotators=2, items=2, overlap=2, schema=SEVEN)
    _label_all(db, team, [FIRST, {**FIRST, "severity": 3, "boxes": [{**CAR, "x": 60}]}])
    notes = _every_release_body(db, team)
    assert set(notes["manifest"]["fields"]) == {f["name"] for f in SEVEN["fields"]}


def test_a_release_without_a_single_choice_field_matches_its_model(db):
    """No label, no estimator, and the per-field agreement only."""
    from tests.integration.releases.test_releases_fields import _label_all

    schema = {"fields": [{"name": "entities", "kind": "spans", "labels": ["PER", "ORG"]}]}
    team = build(db, annotators=3, items=2, overlap=3, schema=schema)
    per = {"entities": [{"start": 0, "end": 4, "label": "PER"}]}
    _label_all(db, team, [per, per, per])
    notes = _every_release_body(db, team)
    assert notes["field"] is None and notes["manifest"]["estimator"] is None
    assert set(notes["manifest"]["agreement"]) == {"fields"}
