"""Authorization gaps a hostile member found: senior review without holding the item (and
without a limit), decisions -> draft refused by a second role check, and `/metrics` naming
every project to anyone."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from labelcrew.app import create_app
from labelcrew.db.models.core import Item
from labelcrew.domain.permissions import PERMISSIONS, Action, Role
from labelcrew.errors import ValidationFailed
from labelcrew.services.accounts import users as accounts
from labelcrew.services.calibration import sessions as calibration
from labelcrew.services.projects import projects
from labelcrew.services.teamops import settings as teamops_settings
from labelcrew.services.work import assignment
from tests.integration.team import build, user


def _auth(db, actor) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.issue_token(db, None, user_id=actor.user_id)}"}


# --- /metrics -------------------------------------------------------------------------------


@pytest.fixture
def no_metrics_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABELCREW_METRICS_TOKEN", raising=False)


def test_metrics_without_token_answer_loopback_only(db, no_metrics_token):
    build(db, annotators=1, items=2)
    app = create_app(db=db)
    outside = TestClient(app, client=("203.0.113.9", 40000))
    refused = outside.get("/metrics")
    assert refused.status_code == 403 and refused.json()["code"] == "metrics_forbidden"
    assert "demo" not in refused.text
    # The test client's default host label is not an address, so not loopback either.
    assert TestClient(app).get("/metrics").status_code == 403
    for host in ("127.0.0.1", "::1"):
        local = TestClient(app, client=(host, 40000)).get("/metrics")
        assert local.status_code == 200 and 'project="demo"' in local.text
    # A reverse proxy on the same host connects from loopback; what it forwards is not local.
    proxied = TestClient(app, client=("127.0.0.1", 40000)).get(
        "/metrics", headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert proxied.status_code == 403 and proxied.json()["code"] == "metrics_forbidden"


def test_metrics_with_token_need_it_from_everywhere(db, monkeypatch):
    build(db, annotators=1, items=2)
    monkeypatch.setenv("LABELCREW_METRICS_TOKEN", "scrape-secret-0123456789")
    app = create_app(db=db)
    for host in ("203.0.113.9", "127.0.0.1"):
        client = TestClient(app, client=(host, 40000))
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
            resp = client.get("/metrics", headers=headers)
            assert resp.status_code == 401, (host, headers)
            assert resp.json()["code"] == "metrics_token_required"
        ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-0123456789"})
        assert ok.status_code == 200 and 'project="demo"' in ok.text


# --- senior review ---------------------------------------------------------------------------


def test_senior_review_needs_the_item_held(db):
    team = build(db, annotators=2, items=4)
    pid = team.project_id
    ann0, ann1 = team.annotators
    client = TestClient(create_app(db=db))
    held_id = assignment.next_item(db, ann0, pid)["item"]["id"]
    other_id = assignment.next_item(db, ann1, pid)["item"]["id"]
    url = f"/api/v1/projects/{pid}/items/{{}}/senior-review"
    body = {"reason": "sarcasm or praise?"}
    for item_id in (other_id, 4, 999):  # someone else's lease, never leased, no such item
        resp = client.post(url.format(item_id), json=body, headers=_auth(db, ann0))
        assert resp.status_code == 404 and resp.json()["code"] == "item_not_found", item_id
    ok = client.post(url.format(held_id), json=body, headers=_auth(db, ann0))
    assert ok.status_code == 200 and ok.json()["difficulty"] == "hard"


def test_senior_review_is_rate_limited_per_annotator(db, clock):
    team = build(db, annotators=2, items=6, wip_limit=6)
    pid = team.project_id
    ann0, ann1 = team.annotators
    teamops_settings.update_settings(db, team.lead, pid, {"senior_review_per_hour": 3})
    with pytest.raises(ValidationFailed) as bad:
        teamops_settings.update_settings(db, team.lead, pid, {"senior_review_per_hour": 0})
    assert bad.value.field == "senior_review_per_hour"
    mine = [assignment.next_item(db, ann0, pid)["item"]["id"] for _ in range(4)]
    theirs = assignment.next_item(db, ann1, pid)["item"]["id"]
    client = TestClient(create_app(db=db))
    url = f"/api/v1/projects/{pid}/items/{{}}/senior-review"
    body = {"reason": "ambiguous"}
    for item_id in mine[:3]:
        assert client.post(url.format(item_id), json=body, headers=_auth(db, ann0)).is_success
    limited = client.post(url.format(mine[3]), json=body, headers=_auth(db, ann0))
    assert limited.status_code == 429, limited.text
    out = limited.json()
    assert out["code"] == "rate_limited" and out["details"]["limit"] == 3
    assert limited.headers["Retry-After"] == str(out["details"]["retry_after_seconds"])
    assert 0 < out["details"]["retry_after_seconds"] <= 3601
    assert "senior_review_per_hour" in out["message"]
    # The limit is per annotator: another one is not held back.
    assert client.post(url.format(theirs), json=body, headers=_auth(db, ann1)).is_success
    clock.advance(out["details"]["retry_after_seconds"])  # the oldest flag left the window
    assert client.post(url.format(mine[3]), json=body, headers=_auth(db, ann0)).is_success


# --- calibration decisions -> draft ---------------------------------------------------------


def test_decisions_to_draft_follow_the_permission_table(db):
    team = build(db, annotators=1, items=22)
    pid = team.project_id
    callers = {}
    for role in Role:
        who = user(db, f"only-{role.value}")
        projects.set_member(db, team.admin, pid, username=who.username, roles=[role.value])
        callers[role] = who
    callers_admin = team.admin  # not a member: the table lets admins in
    with db.uow() as uow:  # a session takes finished items only
        uow.session.execute(update(Item).where(Item.id <= 20).values(state="done"))
        uow.commit()
    made = calibration.create_session(db, team.lead, pid, item_ids=list(range(1, 21)))
    sid = made["id"]
    client = TestClient(create_app(db=db))
    base = f"/api/v1/projects/{pid}/calibration/{sid}/decisions"
    allowed = PERMISSIONS[Action.GUIDELINE_EDIT]
    assert Role.GUIDELINE_OWNER in allowed  # the role the service used to refuse
    for n, (role, who) in enumerate([*callers.items(), (None, callers_admin)]):
        decided = client.post(
            base,
            json={"item_id": 1, "decision": f"Ruling {n}: mixed is neutral.", "rule_number": "1.1"},
            headers=_auth(db, team.lead),
        )
        assert decided.status_code == 200, decided.text
        resp = client.post(f"{base}/to-draft", headers=_auth(db, who))
        if role is None or role in allowed:
            assert resp.status_code == 200, (role, resp.text)
            assert resp.json()["drafted_rules"] == ["1.1"]
        else:
            assert resp.status_code == 403, (role, resp.text)
            assert resp.json()["code"] == "forbidden"
