"""The metrics and weekly-report routes answer exactly what their services return (the same
keys, and the same JSON numbers: no int turned into a float), now that a response model
validates every body: a world with reviews, escalations, alerts, agreement, batches and leases,
read by every `group_by` and by a lead, a reviewer and an annotator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient
from sqlalchemy import select

from labelcrew.api.schemas.metrics import ProjectMetricsOut
from labelcrew.api.schemas.metrics_weekly import WeeklyPublishedOut, WeeklySnapshotOut
from labelcrew.app import create_app
from labelcrew.db.models.core import Annotation
from labelcrew.domain.permissions import Action, allowed
from labelcrew.services.accounts import users as accounts
from labelcrew.services.accounts.users import Actor
from labelcrew.services.escalations import tickets as escalations
from labelcrew.services.escalations import transitions as escalation_transitions
from labelcrew.services.metrics import dashboard as metrics
from labelcrew.services.metrics.weekly import snapshot as weekly
from labelcrew.services.projects import batches
from labelcrew.services.quality import alerts
from labelcrew.services.quality import measures as quality
from labelcrew.services.review import leases as review_leases
from labelcrew.services.review import reviews as review
from labelcrew.services.uow import Database
from labelcrew.services.work import assignment, submission
from tests.integration.feedback_team import feedback_team
from tests.integration.team import Team, add_items


def same_json(body: Any, expected: Any) -> bool:
    """Equal as JSON text: 1 and 1.0 differ here, as they do on the wire."""

    def dump(value: Any) -> str:
        return json.dumps(jsonable_encoder(value), sort_keys=True, ensure_ascii=False)

    return dump(body) == dump(expected)


def world(db: Database, clock: Any) -> Team:
    """Week W48 (from Mon 2026-11-23): two annotators label 4 items (one in a batch) with
    timed leases; they disagree on one, which a reviewer rejects with tags and a rule; one
    escalation is answered, one left open; agreement is recorded, an alert raised. Then the
    clock moves to W49, where one more label is made and a lease is left open."""
    team = feedback_team(db, items=3, overlap=2)
    pid, (ann0, ann1) = team.project_id, team.annotators
    batch = batches.create_batch(db, team.admin, pid, name="b1")
    add_items(db, pid, 1, overlap=2, start=50, batch_id=batch["id"])
    answers = {0: ["positive", "positive", "neutral", "negative"], 1: ["positive"] * 4}
    served: dict[int, list[int]] = {0: [], 1: []}
    for n, actor in enumerate((ann0, ann1)):
        for k, sentiment in enumerate(answers[n]):
            item_id = assignment.next_item(db, actor, pid)["item"]["id"]
            clock.advance(10 * (k + 1) + n)
            submission.submit(
                db, actor, pid, item_id, {"sentiment": sentiment}, idempotency_key=None
            )
            served[n].append(item_id)
    disputed = served[0][2]
    rev = team.others["rev"]
    assert review_leases.next_review(db, rev, pid)["item"]["id"] == disputed
    review.record_review(
        db,
        rev,
        pid,
        disputed,
        verdict="reject",
        annotation_id=_annotation_of(db, disputed, ann0),
        error_tags=["wrong_class", "guideline_not_followed"],
        rule_refs=["4.2"],
        comment="sarcasm",
    )
    asked = escalations.open_escalation(
        db, ann0, pid, disputed, rule_number="4.2", question="Is this sarcasm?"
    )
    escalation_transitions.escalate(db, rev, pid, asked["id"], note="The rule is unclear.")
    clock.advance(3600)
    escalation_transitions.resolve(db, team.lead, pid, asked["id"], ruling="yes, negative")
    escalations.open_escalation(db, ann1, pid, served[1][0], question="Positive enough?")
    quality.measure_agreement(db, pid, record=True)
    with db.uow() as uow:
        alerts.raise_alert(
            uow,
            project_id=pid,
            kind="label_shift",
            subject="member:ann0",
            message="ann0's labels differ from the team's",
            evidence={},
        )
        uow.commit()
    clock.advance(7 * 86400)
    add_items(db, pid, 2, overlap=2, start=70)
    item_id = assignment.next_item(db, ann0, pid)["item"]["id"]
    clock.advance(12)
    submission.submit(db, ann0, pid, item_id, {"sentiment": "neutral"}, idempotency_key=None)
    assignment.next_item(db, ann1, pid)  # a live lease: WIP
    return team


def _annotation_of(db: Database, item_id: int, actor: Actor) -> int:
    with db.uow(read_only=True) as uow:
        found = uow.session.scalar(
            select(Annotation.id).where(
                Annotation.item_id == item_id, Annotation.annotator_id == actor.user_id
            )
        )
    assert found is not None
    return int(found)


def client_of(app: Any, db: Database, actor: Actor) -> TestClient:
    c = TestClient(app)
    c.headers["Authorization"] = f"Bearer {accounts.issue_token(db, None, user_id=actor.user_id)}"
    return c


@pytest.mark.slow
def test_metrics_and_weekly_bodies_are_the_services_own(db, clock):
    team = world(db, clock)
    pid = team.project_id
    app = create_app(db=db)
    lead = client_of(app, db, team.lead)
    url = f"/api/v1/projects/{pid}"

    cases: list[dict[str, Any]] = [
        {"group_by": g} for g in ("day", "week", "member", "batch", "queue", "")
    ]
    cases += [
        {"group_by": "member", "member_id": team.annotators[0].user_id},
        {"group_by": "day", "from": "2026-11-01", "to": "2026-11-20"},  # nothing in it
    ]
    for params in cases:
        resp = lead.get(f"{url}/metrics", params={"from": "2026-11-23", **params})
        assert resp.status_code == 200, resp.text
        expected = metrics.project_metrics(
            db,
            pid,
            date_from=params.get("from", "2026-11-23"),
            date_to=params.get("to"),
            group_by=params["group_by"] or None,
            member_id=params.get("member_id"),
        )
        assert same_json(resp.json(), expected), params
        ProjectMetricsOut.model_validate(resp.json())
    full = lead.get(f"{url}/metrics", params={"from": "2026-11-23", "group_by": "member"}).json()
    assert full["review"]["stats"]["per_annotator"] and full["review"]["pareto"]["by_tag"]
    assert set(full["escalations"]["levels"]) and full["agreement"] and full["wip"]["live_leases"]
    assert all("member" in s for s in full["series"])
    assert all("member" not in s for s in lead.get(f"{url}/metrics").json()["series"])

    readers = {
        "lead": team.lead,
        "reviewer": team.others["rev"],
        "annotator": team.annotators[0],
    }
    roles = {
        "lead": {"lead", "guideline_owner"},
        "reviewer": {"reviewer"},
        "annotator": {"annotator"},
    }
    for name, actor in readers.items():
        resp = client_of(app, db, actor).get(f"{url}/reports/weekly", params={"week": "2026-W48"})
        assert resp.status_code == 200, (name, resp.text)
        staff = allowed(Action.BATCH_DETAIL_READ, frozenset(roles[name]), is_admin=False)
        expected = weekly.for_viewer(
            weekly.weekly_snapshot(db, pid, "2026-W48", closed_only=not staff),
            user_id=actor.user_id,
            sees_everyone="lead" in roles[name],
            item_counts=staff,
        )
        assert same_json(resp.json(), expected), name
        WeeklySnapshotOut.model_validate(resp.json())
        body = resp.json()
        assert body["priorities"]["batches"], name
        # a lead reads every member's examples; anyone else only their own (issue 17)
        owners = {e["member_id"] for e in body["examples"]}
        if name == "reviewer":
            assert owners == set(), name  # labelled nothing, reads nobody else's
        else:
            assert owners and (name == "lead" or owners == {actor.user_id}), name
        if not staff:
            assert "unbatched_open_items" not in body["priorities"]
            assert all("item_id" not in e for e in body["examples"])
    lead_week = lead.get(f"{url}/reports/weekly", params={"week": "2026-W48"}).json()
    assert lead_week["error_tags"] and lead_week["alerts"] and lead_week["quality"]
    # The current week, as a lead: a live week
    assert lead.get(f"{url}/reports/weekly", params={"week": "2026-W49"}).status_code == 200
    for fmt, media in (("md", "text/markdown"), ("html", "text/html")):
        page = lead.get(f"{url}/reports/weekly", params={"week": "2026-W48", "format": fmt})
        assert page.status_code == 200 and page.headers["content-type"].startswith(media)

    first = lead.post(f"{url}/reports/weekly/publish", params={"week": "2026-W48"})
    again = lead.post(f"{url}/reports/weekly/publish", params={"week": "2026-W48"})
    assert first.status_code == again.status_code == 200
    assert first.json()["created"] is True and again.json() == {**first.json(), "created": False}
    WeeklyPublishedOut.model_validate(again.json())


def test_openapi_documents_the_weekly_report_formats(db):
    spec = create_app(db=db).openapi()
    weekly_get = spec["paths"]["/api/v1/projects/{project_id}/reports/weekly"]["get"]
    content = weekly_get["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/markdown", "text/html"}
    assert content["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WeeklySnapshotOut"
    }
    metrics_get = spec["paths"]["/api/v1/projects/{project_id}/metrics"]["get"]
    schema = metrics_get["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ProjectMetricsOut"}
    period = spec["components"]["schemas"]["MetricsPeriod"]
    assert set(period["properties"]) == {"from", "to"}
