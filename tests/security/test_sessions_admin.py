"""What an administrator does to end or limit access, through the API, the CLI and the admin
page: deactivate (sessions and tokens die at once), reactivate, reset a password, token expiry
and last use. Every action is audited; non-admins get 403."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from labelcrew.app import create_app
from labelcrew.db.models.core import ApiToken, AuditEvent
from labelcrew.services.accounts import users as accounts
from tests.integration.team import PASSWORD, build
from tests.security.test_sessions import replay, sign_in


def events(db, action: str) -> list[AuditEvent]:
    with db.uow(read_only=True) as uow:
        return list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def bearer(app, token: str) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def test_deactivating_a_user_kills_their_sessions_and_tokens_at_once(db):
    team = build(db, annotators=1, items=3)
    ann = team.annotators[0]
    pid = team.project_id
    app = create_app(db=db)
    admin = bearer(app, accounts.issue_token(db, None, user_id=team.admin.user_id))
    browser = sign_in(app, "ann0")
    token = accounts.issue_token(db, None, user_id=ann.user_id)
    client = bearer(app, token)
    assert client.post(f"/api/v1/projects/{pid}/next").status_code == 200  # the hot lane

    done = admin.post(f"/api/v1/users/{ann.user_id}/deactivate")
    assert done.status_code == 200 and done.json()["is_active"] is False
    assert browser.get("/api/v1/me").status_code == 401
    assert browser.get(f"/api/v1/projects/{pid}").status_code == 401
    for call in (client.get("/api/v1/me"), client.post(f"/api/v1/projects/{pid}/next")):
        assert call.status_code == 401 and call.json()["code"] == "invalid_token"
    login = {"username": "ann0", "password": PASSWORD}
    assert TestClient(app).post("/api/v1/session", json=login).status_code == 401
    [event] = events(db, "user.deactivate")
    assert event.actor_id == team.admin.user_id and event.entity_id == str(ann.user_id)
    assert event.after == {"is_active": False, "sessions_revoked": 1, "tokens_revoked": 1}
    yourself = admin.post(f"/api/v1/users/{team.admin.user_id}/deactivate")
    assert yourself.status_code == 409 and yourself.json()["code"] == "own_account"

    back = admin.post(f"/api/v1/users/{ann.user_id}/reactivate")
    assert back.status_code == 200 and back.json()["is_active"] is True
    sign_in(app, "ann0")
    assert client.get("/api/v1/me").status_code == 401  # old tokens stay revoked
    assert len(events(db, "user.reactivate")) == 1


def test_an_admin_resets_a_password_and_the_users_sessions_end(db):
    team = build(db, annotators=1, items=1)
    ann = team.annotators[0]
    app = create_app(db=db)
    admin = bearer(app, accounts.issue_token(db, None, user_id=team.admin.user_id))
    cookie = sign_in(app, "ann0").cookies["labelcrew_session"]

    reset = admin.post(f"/api/v1/users/{ann.user_id}/password-reset", json={})
    assert reset.status_code == 200
    generated = reset.json()["password"]
    assert isinstance(generated, str) and len(generated) >= 12
    assert replay(app, cookie).get("/api/v1/me").status_code == 401
    login = {"username": "ann0", "password": PASSWORD}
    assert TestClient(app).post("/api/v1/session", json=login).status_code == 401
    sign_in(app, "ann0", generated)

    chosen = admin.post(
        f"/api/v1/users/{ann.user_id}/password-reset", json={"password": "chosen-by-admin"}
    )
    assert chosen.status_code == 200 and chosen.json()["password"] is None
    sign_in(app, "ann0", "chosen-by-admin")
    short = admin.post(f"/api/v1/users/{ann.user_id}/password-reset", json={"password": "x"})
    assert short.status_code == 422 and short.json()["field"] == "password"
    own = admin.post(f"/api/v1/users/{team.admin.user_id}/password-reset", json={})
    assert own.status_code == 409 and own.json()["code"] == "own_password"
    resets = events(db, "user.password_reset")
    assert [e.after["generated"] for e in resets] == [True, False]
    assert all(e.actor_id == team.admin.user_id for e in resets)
    assert generated not in str([e.after for e in resets])  # the password is never logged


def test_tokens_expire_and_record_their_last_use_once_a_minute(db, clock):
    team = build(db, annotators=1, items=3)
    ann = team.annotators[0]
    pid = team.project_id
    app = create_app(db=db)
    own = sign_in(app, "ann0")
    issued = own.post(
        f"/api/v1/users/{ann.user_id}/tokens", json={"name": "laptop", "expires_in_days": 1}
    )
    assert issued.status_code == 201, issued.text
    client = bearer(app, issued.json()["token"])
    listed = own.get(f"/api/v1/users/{ann.user_id}/tokens").json()
    assert [(t["name"], t["last_used_at"]) for t in listed] == [("laptop", None)]
    assert listed[0]["expires_at"].startswith("2026-11-24T09:00")

    def last_used():
        with db.uow(read_only=True) as uow:
            return uow.session.scalar(select(ApiToken.last_used_at))

    assert client.post(f"/api/v1/projects/{pid}/next").status_code == 200
    first = last_used()
    assert first == clock.now
    clock.advance(30)
    assert client.get("/api/v1/me").status_code == 200
    assert last_used() == first  # not a write per request
    clock.advance(31)
    assert client.get("/api/v1/me").status_code == 200
    assert last_used() == clock.now
    shown = own.get(f"/api/v1/users/{ann.user_id}/tokens").json()[0]["last_used_at"]
    assert shown.startswith("2026-11-23T09:01:01")

    bad = own.post(f"/api/v1/users/{ann.user_id}/tokens", json={"expires_in_days": 0})
    assert bad.status_code == 422
    [event] = events(db, "token.issue")[-1:]
    assert event.after["expires_at"].startswith("2026-11-24T09:00")
    # Someone else's tokens are not listed to a non-admin.
    assert own.get(f"/api/v1/users/{team.admin.user_id}/tokens").status_code == 404

    clock.advance(24 * 3600)
    for call in (client.get("/api/v1/me"), client.post(f"/api/v1/projects/{pid}/next")):
        assert call.status_code == 401 and call.json()["code"] == "token_expired"


def test_non_admins_get_403_on_the_admin_routes(db):
    team = build(db, annotators=1, items=1)
    app = create_app(db=db)
    lead = bearer(app, accounts.issue_token(db, None, user_id=team.lead.user_id))
    target = team.annotators[0].user_id
    for path, body in (
        (f"/api/v1/users/{target}/deactivate", None),
        (f"/api/v1/users/{target}/reactivate", None),
        (f"/api/v1/users/{target}/password-reset", {}),
    ):
        resp = lead.post(path, json=body)
        assert resp.status_code == 403 and resp.json()["code"] == "admin_only", path
    assert TestClient(app).post(f"/api/v1/users/{target}/deactivate").status_code == 401
    assert events(db, "user.deactivate") == [] and events(db, "user.password_reset") == []
    browser = sign_in(app, "lead")
    assert browser.get(f"/admin/users/{target}").status_code == 403
    csrf = browser.cookies["labelcrew_csrf"]
    refused = browser.post(f"/admin/users/{target}/deactivate", data={"csrf_token": csrf})
    assert refused.status_code == 403
    assert (
        replay(app, sign_in(app, "ann0").cookies["labelcrew_session"]).get("/api/v1/me").status_code
        == 200
    )


def test_the_admin_page_deactivates_resets_and_issues_expiring_tokens(db):
    team = build(db, annotators=1, items=1)
    ann = team.annotators[0]
    app = create_app(db=db)
    admin = sign_in(app, "admin")
    csrf = {"csrf_token": admin.cookies["labelcrew_csrf"]}
    victim = sign_in(app, "ann0").cookies["labelcrew_session"]
    listing = admin.get("/admin/users")
    assert f'href="/admin/users/{ann.user_id}"' in listing.text
    page = admin.get(f"/admin/users/{ann.user_id}")
    assert page.status_code == 200 and "1 live session(s)" in page.text

    issued = admin.post(
        f"/admin/users/{ann.user_id}/tokens", data={**csrf, "name": "ci", "expires_in_days": "7"}
    )
    token = re.search(r'data-testid="new-token">[^<]*<code>([^<]+)</code>', issued.text)
    assert token is not None and "2026-11-30 09:00" in issued.text
    assert bearer(app, token[1]).get("/api/v1/me").status_code == 200

    reset = admin.post(f"/admin/users/{ann.user_id}/password-reset", data=csrf)
    generated = re.search(r'data-testid="generated-password">[^<]*<code>([^<]+)</code>', reset.text)
    assert generated is not None
    assert replay(app, victim).get("/api/v1/me").status_code == 401
    victim = sign_in(app, "ann0", generated[1]).cookies["labelcrew_session"]

    off = admin.post(f"/admin/users/{ann.user_id}/deactivate", data=csrf, follow_redirects=False)
    assert off.status_code == 303
    assert replay(app, victim).get("/api/v1/me").status_code == 401
    assert bearer(app, token[1]).get("/api/v1/me").status_code == 401
    assert "deactivated" in admin.get(f"/admin/users/{ann.user_id}").text
    on = admin.post(f"/admin/users/{ann.user_id}/reactivate", data=csrf, follow_redirects=False)
    assert on.status_code == 303
    actions = [e.action for e in events(db, "user.deactivate") + events(db, "user.reactivate")]
    assert actions == ["user.deactivate", "user.reactivate"]
    assert len(events(db, "user.password_reset")) == 1 and len(events(db, "token.issue")) == 1


def test_the_cli_deactivates_reactivates_resets_and_lists_tokens(db, clock, monkeypatch):
    from labelcrew.cli import accounts as cli_accounts
    from labelcrew.cli import app as cli

    team = build(db, annotators=1, items=1)
    ann = team.annotators[0]
    monkeypatch.setattr(cli_accounts, "get_db", lambda: db)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    app = create_app(db=db)

    made = runner.invoke(cli, ["user", "token", "ann0", "--name", "ci", "--expires-in-days", "2"])
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    assert bearer(app, token).get("/api/v1/me").status_code == 200
    listed = runner.invoke(cli, ["user", "tokens", "ann0"])
    assert listed.exit_code == 0, listed.output
    assert "2026-11-25 09:00 UTC" in listed.output and "2026-11-23 09:00 UTC" in listed.output

    cookie = sign_in(app, "ann0").cookies["labelcrew_session"]
    off = runner.invoke(cli, ["user", "deactivate", "ann0"])
    assert off.exit_code == 0 and "deactivated" in off.output
    assert replay(app, cookie).get("/api/v1/me").status_code == 401
    assert bearer(app, token).get("/api/v1/me").status_code == 401
    assert "revoked" in runner.invoke(cli, ["user", "tokens", "ann0"]).output
    assert runner.invoke(cli, ["user", "reactivate", "ann0"]).exit_code == 0

    reset = runner.invoke(cli, ["user", "reset-password", "ann0"])
    assert reset.exit_code == 0 and "shown once" in reset.output
    sign_in(app, "ann0", reset.output.strip().splitlines()[-1])
    chosen = runner.invoke(cli, ["user", "reset-password", "ann0", "--password", "cli-chosen-pw"])
    assert chosen.exit_code == 0 and "shown once" not in chosen.output
    sign_in(app, "ann0", "cli-chosen-pw")
    # The machine's owner recovers a forgotten administrator password the same way.
    recovered = runner.invoke(
        cli, ["user", "reset-password", "admin", "--password", "new-admin-pw"]
    )
    assert recovered.exit_code == 0, recovered.output
    sign_in(app, "admin", "new-admin-pw")
    bad = runner.invoke(cli, ["user", "deactivate", "nobody"])
    assert bad.exit_code == 1 and "not_found" in bad.output

    second = accounts.issue_token(db, None, user_id=ann.user_id)
    with db.uow(read_only=True) as uow:
        second_id = uow.session.scalar(select(ApiToken.id).order_by(ApiToken.id.desc()))
    assert runner.invoke(cli, ["user", "revoke-token", str(second_id)]).exit_code == 0
    assert bearer(app, second).get("/api/v1/me").status_code == 401

    for action in ("user.deactivate", "user.reactivate", "token.revoke"):
        [event] = events(db, action)
        assert event.actor_id == team.admin.user_id  # the CLI acts as the first admin
    assert len(events(db, "user.password_reset")) == 3
