"""The secret and the browser session, played by an outsider and by a member whose access
should have ended: a forged cookie, a replayed cookie after sign-out, a cookie from before a
password change, an idle or too old session."""

from __future__ import annotations

import os
import stat
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import select

from labelcrew.app import create_app
from labelcrew.config import SECRET_FILE, Settings
from labelcrew.db.models.core import AuditEvent
from labelcrew.db.models.sessions import UserSession
from tests.integration.team import PASSWORD, build

OLD_DEV_SECRET = "dev-only-secret-change-me"  # the default that was published with the source


def sign_in(app, username: str, password: str = PASSWORD) -> TestClient:
    """A browser-like client: session cookie, CSRF cookie and the header the page sends."""
    client = TestClient(app)
    signed = client.post("/api/v1/session", json={"username": username, "password": password})
    assert signed.status_code == 200, signed.text
    assert client.get("/api/v1/me").status_code == 200  # issues the CSRF cookie
    client.headers["X-CSRF-Token"] = client.cookies["labelcrew_csrf"]
    return client


def replay(app, cookie: str) -> TestClient:
    """Another browser holding a copy of a session cookie."""
    return TestClient(app, cookies={"labelcrew_session": cookie})


def audit_actions(db) -> list[str]:
    with db.uow(read_only=True) as uow:
        return list(uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# -- the secret ------------------------------------------------------------------------------


def test_a_fresh_install_generates_its_own_secret_file_0600_and_reuses_it(tmp_path, monkeypatch):
    monkeypatch.delenv("LABELCREW_SECRET_KEY", raising=False)
    data = tmp_path / "data"
    first = Settings(data_dir=data)
    path = data / SECRET_FILE
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.secret_key.encode()) >= 32
    assert first.secret_key != OLD_DEV_SECRET
    assert Settings(data_dir=data).secret_key == first.secret_key  # the next start reuses it
    # Outside development too: the generated secret is long enough.
    assert Settings(data_dir=data, environment="production").secret_key == first.secret_key
    other = Settings(data_dir=tmp_path / "other")
    assert other.secret_key != first.secret_key  # each install its own


def test_a_secret_file_others_can_read_is_refused_naming_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("LABELCREW_SECRET_KEY", raising=False)
    Settings(data_dir=tmp_path)
    path = tmp_path / SECRET_FILE
    os.chmod(path, 0o644)
    with pytest.raises(ValueError, match=f"{path}.*0644"):
        Settings(data_dir=tmp_path)


def test_short_keys_are_refused_outside_development(tmp_path):
    with pytest.raises(ValueError, match="shorter than 32 bytes"):
        Settings(data_dir=tmp_path, environment="production", secret_key="x" * 31)
    ok = Settings(data_dir=tmp_path, environment="production", secret_key="x" * 32)
    assert ok.secret_key == "x" * 32
    assert not (tmp_path / SECRET_FILE).exists()  # a given key writes no file


def test_the_once_published_default_is_refused_everywhere(tmp_path):
    for environment in ("development", "production"):
        with pytest.raises(ValueError, match="published"):
            Settings(data_dir=tmp_path, environment=environment, secret_key=OLD_DEV_SECRET)


def test_cookies_forged_with_the_old_dev_secret_are_refused(db):
    team = build(db, annotators=1, items=1)
    app = create_app(db=db)
    old_format = URLSafeTimedSerializer(OLD_DEV_SECRET, salt="session").dumps(
        {"uid": team.admin.user_id}
    )
    new_format = URLSafeSerializer(OLD_DEV_SECRET, salt="session-token").dumps("ls_forged")
    for cookie in (old_format, new_format):
        me = replay(app, cookie).get("/api/v1/me")
        assert me.status_code == 401 and me.json()["code"] == "invalid_session"
    # Even signed with the install's own secret, a token with no session row is nobody.
    real = URLSafeSerializer(app.state.settings.secret_key, salt="session-token")
    me = replay(app, real.dumps("ls_made-up")).get("/api/v1/me")
    assert me.status_code == 401 and me.json()["code"] == "invalid_session"
    assert replay(app, "garbage").get("/api/v1/users").status_code == 401


# -- server-side sessions --------------------------------------------------------------------


def test_sign_in_stores_only_the_hash_and_sign_out_kills_every_copy_of_the_cookie(db):
    team = build(db, annotators=1, items=2)
    app = create_app(db=db)
    client = sign_in(app, "ann0")
    cookie = client.cookies["labelcrew_session"]
    with db.uow(read_only=True) as uow:
        [row] = uow.session.scalars(select(UserSession)).all()
    assert row.user_id == team.annotators[0].user_id and row.revoked_at is None
    assert row.token_hash not in cookie and len(row.token_hash) == 64
    assert row.expires_at == row.created_at + timedelta(hours=12)
    # The cookie works on project routes (the one-read lookup with roles) and on the workspace.
    pid = team.project_id
    assert client.post(f"/api/v1/projects/{pid}/next").status_code == 200
    assert client.get(f"/projects/{pid}/work").status_code == 200

    assert client.delete("/api/v1/session").status_code == 204
    copy = replay(app, cookie)
    me = copy.get("/api/v1/me")
    assert me.status_code == 401 and me.json()["code"] == "invalid_session"
    assert copy.get(f"/api/v1/projects/{pid}").status_code == 401
    with db.uow(read_only=True) as uow:
        assert uow.session.scalar(select(UserSession.revoked_reason)) == "sign_out"


def test_the_web_sign_out_revokes_the_session_too(db):
    build(db, annotators=1, items=1)
    app = create_app(db=db)
    client = TestClient(app)
    client.get("/login")
    csrf = client.cookies["labelcrew_csrf"]
    login = {"username": "ann0", "password": PASSWORD, "csrf_token": csrf, "next": "/"}
    assert client.post("/login", data=login, follow_redirects=False).status_code == 303
    cookie = client.cookies["labelcrew_session"]
    assert replay(app, cookie).get("/api/v1/me").status_code == 200
    csrf = client.cookies["labelcrew_csrf"]  # rotated at sign-in
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert replay(app, cookie).get("/api/v1/me").status_code == 401
    page = replay(app, cookie).get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_idle_sessions_end_and_last_seen_is_written_at_most_once_a_minute(db, clock):
    build(db, annotators=1, items=1)
    app = create_app(db=db)  # idle limit: 120 minutes by default
    client = sign_in(app, "ann0")

    def last_seen():
        with db.uow(read_only=True) as uow:
            return uow.session.scalar(select(UserSession.last_seen_at))

    signed_at = last_seen()
    clock.advance(30)
    assert client.get("/api/v1/me").status_code == 200
    assert last_seen() == signed_at  # not a write per request
    clock.advance(31)
    assert client.get("/api/v1/me").status_code == 200
    assert last_seen() == clock.now
    clock.advance(119 * 60)
    assert client.get("/api/v1/me").status_code == 200  # activity keeps it alive
    clock.advance(120 * 60)
    me = client.get("/api/v1/me")
    assert me.status_code == 401 and me.json()["code"] == "session_expired"


def test_sessions_end_at_their_absolute_expiry_however_active(db, clock):
    build(db, annotators=1, items=1)
    settings = Settings(session_hours=1, session_idle_minutes=30)
    app = create_app(db=db, settings=settings)
    client = sign_in(app, "ann0")
    for _ in range(2):
        clock.advance(25 * 60)
        assert client.get("/api/v1/me").status_code == 200
    clock.advance(25 * 60)  # 75 minutes after sign-in, 25 after the last request
    me = client.get("/api/v1/me")
    assert me.status_code == 401 and me.json()["code"] == "session_expired"
    clock.advance(24 * 3600)
    sign_in(app, "ann0")  # signing in again clears the long-expired row away
    with db.uow(read_only=True) as uow:
        assert len(uow.session.scalars(select(UserSession)).all()) == 1


def test_a_password_change_needs_the_current_one_and_ends_the_other_sessions(db):
    team = build(db, annotators=1, items=1)
    app = create_app(db=db)
    here = sign_in(app, "ann0")
    elsewhere = sign_in(app, "ann0")
    stolen = elsewhere.cookies["labelcrew_session"]
    wrong = here.put(
        "/api/v1/me/password",
        json={"current_password": "not-it-at-all", "new_password": "a-new-passphrase"},
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "current_password"
    short = here.put(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "short"}
    )
    assert short.status_code == 422 and short.json()["field"] == "new_password"
    assert replay(app, stolen).get("/api/v1/me").status_code == 200  # nothing changed yet

    changed = here.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "a-new-passphrase"},
    )
    assert changed.status_code == 204, changed.text
    assert here.get("/api/v1/me").status_code == 200  # the session that changed it stays
    me = replay(app, stolen).get("/api/v1/me")
    assert me.status_code == 401 and me.json()["code"] == "invalid_session"
    login = {"username": "ann0", "password": PASSWORD}
    assert TestClient(app).post("/api/v1/session", json=login).status_code == 401
    sign_in(app, "ann0", "a-new-passphrase")
    assert audit_actions(db).count("user.password_change") == 1
    with db.uow(read_only=True) as uow:
        event = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.password_change")
        ).one()
    assert event.actor_id == team.annotators[0].user_id
    assert event.after == {"sessions_revoked": 1}


def test_the_web_account_page_changes_the_password(db):
    build(db, annotators=1, items=1)
    app = create_app(db=db)
    client = sign_in(app, "ann0")
    other = sign_in(app, "ann0").cookies["labelcrew_session"]
    csrf = client.cookies["labelcrew_csrf"]
    assert "Change your password" in client.get("/account").text
    form = {"csrf_token": csrf, "current_password": "nope-nope", "new_password": "fresh-words-9"}
    refused = client.post("/account/password", data=form)
    assert refused.status_code == 400 and "current password is wrong" in refused.text
    form["current_password"] = PASSWORD
    done = client.post("/account/password", data=form)
    assert done.status_code == 200 and "1 other session(s) ended" in done.text
    assert client.get("/api/v1/me").status_code == 200
    assert replay(app, other).get("/api/v1/me").status_code == 401


def test_the_prune_job_removes_ended_sessions_and_quiet_sign_in_counters(db, clock):
    from labelcrew.db.models.login import LoginThrottle
    from labelcrew.services.platform import jobs

    build(db, annotators=2, items=0)
    app = create_app(db=db)
    ended = sign_in(app, "ann0")
    assert ended.delete("/api/v1/session").status_code == 204
    live = sign_in(app, "ann1")
    assert (
        TestClient(app)
        .post("/api/v1/session", json={"username": "ann1", "password": "wrong-password"})
        .status_code
        == 401
    )
    assert [j.name for j in jobs.PERIODIC_JOBS].count("accounts.prune") == 1
    jobs.prune_accounts(db)  # nothing is old enough yet
    with db.uow(read_only=True) as uow:
        assert len(uow.session.scalars(select(UserSession)).all()) == 2
        assert len(uow.session.scalars(select(LoginThrottle)).all()) == 3
    clock.advance(31 * 86400)
    live.cookies.clear()
    fresh = sign_in(app, "ann1")
    jobs.prune_accounts(db)
    with db.uow(read_only=True) as uow:
        kept = uow.session.scalars(select(UserSession)).all()
        assert len(kept) == 1 and kept[0].revoked_at is None
        assert uow.session.scalars(select(LoginThrottle)).all() == []
    assert fresh.get("/api/v1/me").status_code == 200
