"""Agreement on every field through the service (issue 16): the seven-field case shows full
agreement on the topic and a lower figure on each field the annotators split on."""

from __future__ import annotations

import random

from fastapi.testclient import TestClient

from labelcrew.app import create_app
from labelcrew.domain.metrics.weekly_render import render_markdown
from labelcrew.services.accounts import users as accounts
from labelcrew.services.metrics.weekly import snapshot as weekly
from labelcrew.services.platform.jobs import scan_quality
from labelcrew.services.projects import items, projects
from labelcrew.services.quality import alerts
from labelcrew.services.quality import measures as quality
from labelcrew.services.quality.field_agreement import agreement_by_field, alert_low_fields
from labelcrew.services.work import assignment, submission
from tests.integration.releases.test_releases_fields import CAR, FIRST, SEVEN, _label_all
from tests.integration.team import build


def test_every_field_is_measured_by_its_own_kind(db):
    team = build(db, annotators=2, items=3, overlap=2, schema=SEVEN)
    second = {
        **FIRST,
        "severity": 3,
        "order": [1, 0, 2],
        "entities": [{"start": 0, "end": 4, "label": "ORG"}],
        "boxes": [{**CAR, "x": 60}],
        "note": "ok",
    }
    _label_all(db, team, [FIRST, second])
    found = {f["field"]: f for f in agreement_by_field(db, team.project_id)}
    assert list(found) == [f["name"] for f in SEVEN["fields"]]
    assert {f["n_items"] for f in found.values()} == {3}
    for name in ("severity", "order", "entities", "boxes", "note"):
        assert found[name]["value"] is None or found[name]["value"] < 1.0, name
    assert found["entities"]["value"] == 0.0 and found["boxes"]["value"] == 0.0
    assert found["note"]["required"] is False and found["note"]["kind"] == "text"
    # no variation at all on the topic: chance-corrected alpha is undefined, agreement is 1
    assert found["topic"]["extra"].get("percent_agreement", 1.0) == 1.0


def test_the_hourly_scan_alerts_on_a_field_below_the_warning_level(db):
    """Boxes a hundred pixels apart on every item: the boxes field alerts by name, the topic
    the annotators agree on does not, and free text never does."""
    team = build(db, annotators=2, items=12, overlap=2, schema=SEVEN)
    second = {**FIRST, "boxes": [{**CAR, "x": 100}], "note": "other words"}
    _label_all(db, team, [FIRST, second])
    scan_quality(db)
    found = {a["subject"]: a for a in alerts.list_alerts(db, team.project_id, kind="agreement")}
    assert "field:boxes" in found and "field:note" not in found and "field:topic" not in found
    assert "boxes" in found["field:boxes"]["message"]
    assert found["field:boxes"]["evidence"]["n_items"] == 12
    scan_quality(db)  # a second scan refreshes the open alert, it does not add one
    assert len(alerts.list_alerts(db, team.project_id, kind="agreement")) == len(found)


def test_a_few_items_are_not_enough_to_alert(db):
    team = build(db, annotators=2, items=3, overlap=2, schema=SEVEN)
    _label_all(db, team, [FIRST, {**FIRST, "boxes": [{**CAR, "x": 100}]}])
    assert alert_low_fields(db, team.project_id) == []


def test_gold_scoring_report_and_drift_scan_work_without_a_single_choice_field(db):
    """An NER-only project: a gold answer scores the spans, the gold report lists the member,
    and the drift scan runs the gold chart instead of refusing with no_primary_field."""
    schema = {"fields": [{"name": "entities", "kind": "spans", "labels": ["PER", "ORG"]}]}
    team = build(db, annotators=1, items=4, schema=schema)
    pid, annotator = team.project_id, team.annotators[0]
    person = [{"start": 0, "end": 4, "label": "PER"}]
    items.set_gold(db, team.admin, pid, 1, value={"entities": person}, rule=None)
    projects.update_project(db, team.admin, pid, {"gold_rate": 0.5})
    db.rng = random.Random(3)
    for k in range(4):
        lease = assignment.next_item(db, annotator, pid)
        wrong = [{"start": 0, "end": 4, "label": "ORG"}]
        submission.submit(
            db, annotator, pid, lease["item"]["id"], {"entities": wrong}, idempotency_key=f"{k}"
        )
    report = quality.gold_report(db, pid)
    overall = report["members"]["ann0"]["overall"]
    assert (overall["n"], overall["correct"]) == (1, 0)
    assert quality.scan_drift(db, pid) == []  # one gold answer: nothing to alarm on yet


def test_the_weekly_snapshot_reports_each_fields_agreement_this_week_and_last(db):
    team = build(db, annotators=2, items=3, overlap=2, schema=SEVEN)
    _label_all(db, team, [FIRST, {**FIRST, "boxes": [{**CAR, "x": 100}]}])
    snapshot = weekly.weekly_snapshot(db, team.project_id, "2026-W48")  # the clock's week
    found = {f["field"]: f for f in snapshot["field_agreement"]}
    assert list(found) == [f["name"] for f in SEVEN["fields"]]
    assert found["boxes"]["this_week"] == 0.0 and found["boxes"]["items"] == 3
    assert found["boxes"]["last_week"] is None  # nothing was labelled the week before
    text = render_markdown(snapshot)
    assert "Agreement per field" in text and "boxes (bbox)" in text


def test_the_metrics_api_serves_every_fields_agreement_to_staff_only(db):
    team = build(db, annotators=2, items=3, overlap=2, schema=SEVEN)
    _label_all(db, team, [FIRST, {**FIRST, "severity": 2}])
    client = TestClient(create_app(db=db))
    url = f"/api/v1/projects/{team.project_id}/quality/agreement/fields"
    lead = {"Authorization": f"Bearer {accounts.issue_token(db, None, user_id=team.lead.user_id)}"}
    body = client.get(url, headers=lead)
    assert body.status_code == 200
    assert body.json() == agreement_by_field(db, team.project_id)
    assert {f["field"]: f["n_items"] for f in body.json()}["severity"] == 3
    mine = accounts.issue_token(db, None, user_id=team.annotators[0].user_id)
    assert client.get(url, headers={"Authorization": f"Bearer {mine}"}).status_code == 403
