"""Sensitive payload fields as a hostile annotator sees them: walk every GET route of the API
and every HTML page (plus the next item) with real ids, and find no clear sensitive value;
reviewers, QA and leads see exactly what the project's sensitive-field rules say."""

from __future__ import annotations

import itertools
import re
from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from labelcrew.app import create_app
from labelcrew.db.models.calibration import CalibrationSession
from labelcrew.db.models.core import Batch, Item
from labelcrew.domain.metrics.calc import iso_week
from labelcrew.domain.teamops.redaction import mask
from labelcrew.errors import NotFound
from labelcrew.services.accounts import users as accounts
from labelcrew.services.calibration import results as calibration_review
from labelcrew.services.calibration import sessions as calibration
from labelcrew.services.escalations import tickets as escalations
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.metrics.weekly import snapshot as weekly
from labelcrew.services.projects import batches, projects
from labelcrew.services.releases import publish as releases
from labelcrew.services.review import comments
from labelcrew.services.teamops import settings as teamops_settings
from labelcrew.services.work import assignment, submission
from tests.integration.team import build, user

EMAIL = "buyer{}@example.com"
PHONE = "+1 555 0{:03d}"
RULES = [
    # Masked for everyone but leads; hidden from everyone but leads and QA.
    {"field": "customer_email", "mode": "mask", "roles": ["lead"]},
    {"field": "customer_phone", "mode": "hide", "roles": ["lead", "qa"]},
]
CLEAR = re.compile(r"buyer\d+@|example\.com|555 0\d{3}")
ITEMS, LABELLED = 28, 22


def _label(db, who, pid, n: int, value) -> None:
    for _ in range(n):
        try:
            lease = assignment.next_item(db, who, pid)
        except NotFound:
            return
        item_id = lease["item"]["id"]
        submission.submit(
            db, who, pid, item_id, {"sentiment": value(item_id)}, idempotency_key=None
        )


def _project(db):
    """A project whose items all carry a customer email and phone, with everything an
    annotator can read filled in: batches, labels, reviews, a calibration session (whose
    decision went into a published guideline), a release, a weekly report, an escalation,
    a comment, and an open lease."""
    team = build(db, annotators=2, items=ITEMS, overlap=2, wip_limit=5)
    pid = team.project_id
    lead, (ann0, ann1) = team.lead, team.annotators
    for role in ("reviewer", "qa"):
        who = user(db, role)
        projects.set_member(db, team.admin, pid, username=role, roles=[role])
        team.others[role] = who
    teamops_settings.update_settings(db, lead, pid, {"sensitive_fields": RULES})
    b1 = batches.create_batch(db, lead, pid, name="b1", owner="reviewer")
    b2 = batches.create_batch(db, lead, pid, name="b2")
    with db.uow() as uow:
        for item in uow.session.scalars(select(Item).where(Item.project_id == pid)):
            n = int(item.external_id[1:])
            item.payload = {
                **item.payload,
                "customer_email": EMAIL.format(n),
                "customer_phone": PHONE.format(n),
            }
            item.batch_id = b1["id"] if n % 2 else b2["id"]
        uow.commit()
    _label(db, ann0, pid, LABELLED, lambda i: "positive")
    _label(db, ann1, pid, LABELLED, lambda i: "negative" if i % 3 == 0 else "positive")
    assignment.next_item(db, ann0, pid)  # an open lease for the workspace
    with db.uow(read_only=True) as uow:  # a session takes finished items only
        done = list(
            uow.session.scalars(
                select(Item.id)
                .where(Item.project_id == pid, Item.state == "done")
                .order_by(Item.id)
            )
        )
    assert done[:3] == [1, 2, 3] and len(done) >= 10
    made = calibration.create_session(
        db, lead, pid, title="wk", item_ids=done[:20], invite=["ann0", "reviewer"]
    )
    sid = made["id"]
    for item_id in range(1, 4):
        calibration.answer(db, ann0, pid, sid, item_id, {"sentiment": "neutral"})
    calibration_review.decide(
        db, lead, pid, sid, item_id=1, decision="Mixed is neutral.", rule_number="1.1"
    )
    drafted = calibration_review.decisions_to_draft(db, lead, pid, sid)
    guidelines.publish(db, lead, pid, version=drafted["draft"]["version"], changelog="calib")
    for a in team.annotators:
        guidelines.acknowledge(db, a, pid, version=drafted["draft"]["version"])
    releases.create_release(db, lead, pid, name="v1", method="mv")
    weekly.publish_weekly(db, pid, iso_week(db.clock().date()))  # this week: with examples
    escalations.open_escalation(db, ann0, pid, 1, question="Sarcasm counts as negative?")
    comments.add_comment(db, ann0, pid, 2, body="Is this review about the product?")
    return team, sid


def _walkable(app) -> list[APIRoute]:
    out = []
    stack = list(app.routes)
    while stack:
        route = stack.pop(0)
        if isinstance(route, APIRoute):
            if "GET" in route.methods and route.path != "/vendor/plotly.min.js":
                out.append(route)
        elif hasattr(route, "original_router"):
            stack.extend(route.original_router.routes)
    return out


def _ids(db, pid: int, sid: int) -> dict[str, list[Any]]:
    with db.uow(read_only=True) as uow:
        item_ids = list(uow.session.scalars(select(Item.id).where(Item.project_id == pid)))
        batch_ids = list(uow.session.scalars(select(Batch.id).where(Batch.project_id == pid)))
        sessions = list(
            uow.session.scalars(
                select(CalibrationSession.id).where(CalibrationSession.project_id == pid)
            )
        )
    assert sid in sessions and len(item_ids) == ITEMS
    return {
        "project_id": [pid],
        "item_id": item_ids,
        "batch_id": batch_ids,
        "session_id": sessions,
        "version": [1, 2, "v1"],  # guideline versions and the release's name
        "webhook_id": [1],
        "user_id": [1, 3],  # the admin and ann0
        "token_id": [1],
    }


def _urls(route: APIRoute, ids: dict[str, list[Any]]) -> list[str]:
    names = re.findall(r"\{(\w+)\}", route.path)
    out = []
    for values in itertools.product(*(ids.get(n, [1]) for n in names)):
        path = route.path
        for name, value in zip(names, values, strict=True):
            path = path.replace("{" + name + "}", str(value))
        out.append(path)
    return out


def test_an_annotator_never_reads_a_clear_sensitive_value(db):
    team, sid = _project(db)
    pid, ann0 = team.project_id, team.annotators[0]
    app = create_app(db=db)
    client = TestClient(app, raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {accounts.issue_token(db, None, user_id=ann0.user_id)}"}
    ids = _ids(db, pid, sid)
    seen: dict[str, int] = {}
    leaks = []
    for route in _walkable(app):
        for url in _urls(route, ids):
            resp = client.get(url, headers=headers)
            assert resp.status_code != 500, (url, resp.text)
            seen[route.path] = max(seen.get(route.path, 0), resp.status_code == 200)
            if CLEAR.search(resp.text):
                leaks.append((url, CLEAR.search(resp.text).group(0)))
    week = iso_week(db.clock().date())
    db.clock.advance(7 * 86400)  # annotators read completed weeks only (gold: no live counts)
    for fmt in ("json", "md", "html"):  # that week's report, with its examples, in each format
        url = f"/api/v1/projects/{pid}/reports/weekly?week={week}&format={fmt}"
        resp = client.get(url, headers=headers)
        assert resp.status_code == 200 and not CLEAR.search(resp.text), url
        assert fmt != "json" or resp.json()["examples"], "the report should carry examples"
    nxt = client.post(f"/api/v1/projects/{pid}/next", headers=headers)
    assert nxt.status_code == 200 and not CLEAR.search(nxt.text)
    assert nxt.json()["item"]["payload"]["customer_email"] == mask(EMAIL.format(23))
    assert leaks == []
    # The walk read real data, not only refusals: the routes that carry payloads answered.
    for path in (
        "/api/v1/projects/{project_id}/calibration/{session_id}/items",
        "/api/v1/projects/{project_id}/guidelines/{version}",
        "/api/v1/projects/{project_id}/reports/weekly",
        "/projects/{project_id}/work",
        "/projects/{project_id}/guidelines",
        "/projects/{project_id}/escalations",
    ):
        assert seen.get(path) == 1, path
    shown = client.get(f"/api/v1/projects/{pid}/calibration/{sid}/items", headers=headers).json()
    first = shown["items"][0]["payload"]
    assert first["customer_email"] == mask(EMAIL.format(0)) and "customer_phone" not in first
    rules = client.get(f"/api/v1/projects/{pid}/guidelines/current", headers=headers).json()
    examples = [e for r in rules["rules"] for e in r["examples"] if "payload" in e]
    assert examples and all("customer_phone" not in e["payload"] for e in examples)


def test_staff_see_what_the_rules_say(db):
    team, sid = _project(db)
    pid = team.project_id
    client = TestClient(create_app(db=db))

    def get(actor, url):
        token = accounts.issue_token(db, None, user_id=actor.user_id)
        resp = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200, (actor.username, url, resp.text)
        return resp.json()

    email, phone = EMAIL.format(0), PHONE.format(0)
    expected = {
        "reviewer": {"customer_email": mask(email)},  # masked, phone hidden
        "qa": {"customer_email": mask(email), "customer_phone": phone},
        "lead": {"customer_email": email, "customer_phone": phone},
        "admin": {"customer_email": email, "customer_phone": phone},
    }
    actors = {**team.others, "lead": team.lead, "admin": team.admin}
    for name, want in expected.items():
        payload = get(actors[name], f"/api/v1/projects/{pid}/items/1")["payload"]
        assert {k: v for k, v in payload.items() if k != "text"} == want, name
        listed = get(actors[name], f"/api/v1/projects/{pid}/items?limit=1")["items"][0]
        assert listed["payload"] == payload, name
        # Calibration: the reviewer as an invitee, QA and the lead as managers.
        rows = get(actors[name], f"/api/v1/projects/{pid}/calibration/{sid}/items")["items"]
        calib = rows[0]["payload"]
        assert {k: v for k, v in calib.items() if k != "text"} == want, name

    def page(actor, url):
        token = accounts.issue_token(db, None, user_id=actor.user_id)
        resp = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200, (actor.username, url, resp.text)
        return resp.text

    # The pages: the escalation inbox shows item 1 beside the question; the review page a lease.
    inbox = f"/projects/{pid}/escalations"
    assert "b***@e***.com" in page(actors["reviewer"], inbox)
    assert not CLEAR.search(page(actors["reviewer"], inbox))
    assert email in page(actors["lead"], inbox)
    review = page(actors["reviewer"], f"/projects/{pid}/review")
    assert "@e***.com" in review and not CLEAR.search(review)


def test_weekly_examples_and_release_exports_are_masked(db):
    team, _ = _project(db)
    pid = team.project_id
    # Mask the text itself for non-leads: the weekly excerpt (read by everyone) follows.
    teamops_settings.update_settings(
        db, team.lead, pid, {"sensitive_fields": [*RULES, {"field": "text", "mode": "hide"}]}
    )
    snapshot = weekly.weekly_snapshot(db, pid, iso_week(db.clock().date()))
    assert snapshot["examples"] and all(e["excerpt"] is None for e in snapshot["examples"])
    # A lead whose roles the rules do not name exports the release masked.
    other = user(db, "lead2")
    projects.set_member(db, team.admin, pid, username="lead2", roles=["lead"])
    teamops_settings.update_settings(
        db,
        team.lead,
        pid,
        {"sensitive_fields": [{"field": "customer_email", "mode": "mask", "roles": ["qa"]}]},
    )
    client = TestClient(create_app(db=db))
    token = accounts.issue_token(db, None, user_id=other.user_id)
    resp = client.get(
        f"/api/v1/projects/{pid}/releases/v1/export?format=jsonl",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 200 and resp.text
    assert not re.search(r"buyer\d+@", resp.text)
