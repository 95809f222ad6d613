"""Sign-in against a hostile caller: throttling with back-off per account and per address, the
same work for unknown users, a password policy, and hashing that cannot starve the server."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from labelcrew.app import create_app
from labelcrew.db.models.core import User
from labelcrew.db.models.login import LoginThrottle
from labelcrew.demo import sentiment as demo
from labelcrew.domain.accounts import password_policy
from labelcrew.errors import Throttled, ValidationFailed
from labelcrew.services.accounts import hash_gate, login_guard
from labelcrew.services.accounts import users as accounts
from tests.integration.team import PASSWORD, build, user


def _sign_in(client: TestClient, username: str, password: str) -> Any:
    return client.post("/api/v1/session", json={"username": username, "password": password})


# -- password policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "code", "words"),
    [
        ("Ab3$ef", "validation_failed", "at least 10"),
        ("x" * 129, "validation_failed", "at most 128"),
        ("password123", "weak_password", "common password"),
        ("qwertyuiop", "weak_password", "easy to guess"),
        ("aaaaaaaaaaaaaaaa", "weak_password", "Repeats"),
    ],
)
def test_the_policy_refuses_short_long_and_guessable_passwords(
    password: str, code: str, words: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        password_policy.check(password)
    assert caught.value.field == "password" and caught.value.code == code
    assert words in caught.value.message


def test_the_policy_counts_the_users_own_names_as_guessable() -> None:
    password_policy.check("zorblattix-2024")  # a fine password for somebody else
    for inputs in (["zorblattix"], ["mq", "Quentin Zorblattix"]):
        with pytest.raises(ValidationFailed) as caught:
            password_policy.check("zorblattix-2024", user_inputs=inputs)
        assert caught.value.code == "weak_password"
        assert caught.value.details["score"] < password_policy.MIN_SCORE


def test_the_test_and_demo_passwords_pass_the_policy() -> None:
    password_policy.check(PASSWORD, user_inputs=["ann0"])
    password_policy.check(demo.PASSWORD, user_inputs=["admin"])


def test_create_user_applies_the_policy_in_the_service_and_the_api(db: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        accounts.create_user(db, None, username="weak", password="password123")
    assert caught.value.field == "password"
    team = build(db, annotators=0, items=0, guideline=False)
    client = TestClient(create_app(db=db))
    client.headers["Authorization"] = (
        f"Bearer {accounts.issue_token(db, None, user_id=team.admin.user_id)}"
    )
    answer = client.post("/api/v1/users", json={"username": "bob", "password": "iloveyou12"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["field"] == "password" and body["code"] == "weak_password"
    assert body["details"]["suggestions"] or body["details"]["warning"]
    answer = client.post("/api/v1/users", json={"username": "bob", "password": "y" * 129})
    assert answer.status_code == 422 and answer.json()["field"] == "password"
    good = client.post("/api/v1/users", json={"username": "bob", "password": "tulip-orbit-47"})
    assert good.status_code == 201
    with db.uow(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(User)) == 3


# -- throttling -------------------------------------------------------------------------------


def test_failures_of_an_account_lock_it_with_doubling_back_off(db: Any, clock: Any) -> None:
    build(db, annotators=1, items=0, guideline=False)
    client = TestClient(create_app(db=db))
    for _ in range(login_guard.ACCOUNT_LIMIT):
        assert _sign_in(client, "ann0", "wrong-password").status_code == 401
    locked = _sign_in(client, "ann0", PASSWORD)  # even the right password waits
    assert locked.status_code == 429
    assert locked.json()["code"] == "login_throttled" and locked.headers["retry-after"] == "2"
    waits = []
    for _ in range(12):
        clock.advance(int(locked.headers["retry-after"]))
        assert _sign_in(client, "ann0", "wrong-password").status_code == 401
        locked = _sign_in(client, "ann0", "wrong-password")
        assert locked.status_code == 429
        waits.append(int(locked.headers["retry-after"]))
    assert waits == [4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900]
    clock.advance(900)
    assert _sign_in(client, "ann0", PASSWORD).status_code == 200
    # Success clears the account: the next mistake is an ordinary 401 again.
    assert _sign_in(client, "ann0", "wrong-password").status_code == 401
    assert _sign_in(client, "ann0", PASSWORD).status_code == 200


def test_the_count_starts_again_after_a_quiet_window(db: Any, clock: Any) -> None:
    build(db, annotators=1, items=0, guideline=False)
    client = TestClient(create_app(db=db))
    for _ in range(login_guard.ACCOUNT_LIMIT - 1):
        assert _sign_in(client, "ann0", "wrong-password").status_code == 401
    clock.advance(login_guard.WINDOW.total_seconds() + 1)
    for _ in range(login_guard.ACCOUNT_LIMIT - 1):
        assert _sign_in(client, "ann0", "wrong-password").status_code == 401
    assert _sign_in(client, "ann0", PASSWORD).status_code == 200


def test_unknown_users_are_throttled_and_answered_like_known_ones(db: Any) -> None:
    build(db, annotators=1, items=0, guideline=False)
    client = TestClient(create_app(db=db))
    known = [_sign_in(client, "ann0", "wrong-password") for _ in range(6)]
    unknown = [_sign_in(client, "nobody", "wrong-password") for _ in range(6)]
    assert [a.status_code for a in known] == [a.status_code for a in unknown]
    assert [a.status_code for a in known] == [401] * 5 + [429]
    assert [a.json() for a in known] == [a.json() for a in unknown]


def test_failures_from_one_address_lock_it_for_every_account(db: Any) -> None:
    build(db, annotators=1, items=0, guideline=False)
    app = create_app(db=db)
    attacker = TestClient(app, client=("203.0.113.9", 4000))
    for i in range(login_guard.ADDRESS_LIMIT):
        # Never more than 4 tries per name: only the address counter can trip.
        assert _sign_in(attacker, f"guess{i // 4}", "wrong-password").status_code == 401
    refused = _sign_in(attacker, "ann0", PASSWORD)
    assert refused.status_code == 429 and refused.json()["code"] == "login_throttled"
    assert int(refused.headers["retry-after"]) >= 1
    # Another address is not held back, and its success does not free the attacker's.
    colleague = TestClient(app, client=("198.51.100.7", 4000))
    assert _sign_in(colleague, "ann0", PASSWORD).status_code == 200
    assert _sign_in(attacker, "ann0", PASSWORD).status_code == 429


def test_an_attacker_cannot_lock_a_colleague_out_from_one_address(db: Any, clock: Any) -> None:
    build(db, annotators=1, items=0, guideline=False)
    app = create_app(db=db)
    attacker = TestClient(app, client=("203.0.113.9", 4000))
    for _ in range(login_guard.ACCOUNT_LIMIT):
        assert _sign_in(attacker, "ann0", "wrong-password").status_code == 401
    assert _sign_in(attacker, "ann0", PASSWORD).status_code == 429  # the attacker waits
    colleague = TestClient(app, client=("198.51.100.7", 4000))
    assert _sign_in(colleague, "ann0", PASSWORD).status_code == 200  # ann0 does not
    assert _sign_in(attacker, "ann0", PASSWORD).status_code == 429
    # Guessing one name from many addresses meets the lock on the account everywhere.
    for i in range(login_guard.EVERYWHERE_LIMIT):
        botnet = TestClient(app, client=(f"192.0.2.{i % 200}", 4000))
        assert _sign_in(botnet, "ann0", f"guess-{i}").status_code in (401, 429)
    refused = _sign_in(colleague, "ann0", PASSWORD)
    assert refused.status_code == 429 and refused.json()["code"] == "login_throttled"
    clock.advance(int(refused.headers["retry-after"]))
    assert _sign_in(colleague, "ann0", PASSWORD).status_code == 200


def test_the_count_holds_across_workers_and_restarts(db: Any) -> None:
    build(db, annotators=1, items=0, guideline=False)
    first = TestClient(create_app(db=db))
    for _ in range(login_guard.ACCOUNT_LIMIT):
        assert _sign_in(first, "ann0", "wrong-password").status_code == 401
    second = TestClient(create_app(db=db))  # another process's app over the same database
    assert _sign_in(second, "ann0", PASSWORD).status_code == 429
    with db.uow(read_only=True) as uow:
        kinds = sorted(uow.session.scalars(select(LoginThrottle.kind)))
    assert kinds == ["account", "address", "everywhere"]


def test_the_web_sign_in_is_throttled_too(db: Any) -> None:
    build(db, annotators=1, items=0, guideline=False)
    client = TestClient(create_app(db=db))
    page = client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    form = {"username": "ann0", "password": "wrong-password", "csrf_token": found[1]}
    codes = [client.post("/login", data=form, follow_redirects=False).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    again = client.post("/login", data={**form, "password": PASSWORD}, follow_redirects=False)
    assert again.status_code == 429 and "too many failed sign-ins" in again.text
    assert again.headers["retry-after"] == "2"


def test_a_huge_password_is_refused_as_wrong_and_a_nul_username_as_invalid(db: Any) -> None:
    build(db, annotators=1, items=0, guideline=False)
    client = TestClient(create_app(db=db))
    answer = _sign_in(client, "ann0", "z" * (login_guard.MAX_SIGN_IN_PASSWORD + 1))
    assert answer.status_code == 401 and answer.json()["code"] == "bad_credentials"
    # A NUL never reaches the lookup (a 500 on PostgreSQL): the body check names the field.
    answer = _sign_in(client, "ann0\x00", PASSWORD)
    assert answer.status_code == 422 and answer.json()["field"] == "username"
    with db.uow(read_only=True) as uow:
        assert uow.session.scalar(select(func.max(LoginThrottle.failures))) == 1  # the address


# -- the same work for unknown users, and hashing that cannot starve the server ---------------


def _parameters(argon2_hash: str) -> str:
    """`$argon2id$v=19$m=1024,t=1,p=4$salt$hash` -> `argon2id$v=19$m=1024,t=1,p=4`."""
    return "$".join(argon2_hash.split("$")[1:4])


def test_unknown_and_inactive_users_are_checked_against_a_hash_of_the_same_cost(
    db: Any,
) -> None:
    user(db, "ann")
    hash_gate._dummy_hash.cache_clear()
    with pytest.raises(accounts.Unauthenticated):
        accounts.check_password(db, "nobody", "wrong-password")
    with db.uow() as uow:
        real = uow.session.scalar(select(User).where(User.username == "ann"))
        assert real is not None
        real_hash = real.password_hash
        real.is_active = False
        uow.commit()
    with pytest.raises(accounts.Unauthenticated):
        accounts.check_password(db, "ann", PASSWORD)  # inactive: the dummy, not the real hash
    assert hash_gate._dummy_hash.cache_info().currsize == 1
    hasher = accounts._hasher()
    dummy = hash_gate._dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    assert _parameters(dummy) == _parameters(real_hash)


def test_a_flood_of_sign_ins_gets_login_busy_instead_of_every_thread(db: Any) -> None:
    build(db, annotators=1, items=0, guideline=False)
    client = TestClient(create_app(db=db))
    release = threading.Event()
    holding = threading.Barrier(hash_gate.PERMITS + 1)
    waiters_failed: list[str] = []

    def hold() -> None:
        with hash_gate.gate():
            holding.wait()
            release.wait(30)

    def wait_in_queue() -> None:
        try:
            with hash_gate.gate():
                pass
        except Throttled as error:  # its wait ran out while the permits were held
            waiters_failed.append(error.code)

    holders = [threading.Thread(target=hold) for _ in range(hash_gate.PERMITS)]
    for thread in holders:
        thread.start()
    holding.wait()
    waiters = [threading.Thread(target=wait_in_queue) for _ in range(hash_gate.QUEUE)]
    for thread in waiters:
        thread.start()
    try:
        while hash_gate._in_gate._value > 0:  # every queue place taken
            threading.Event().wait(0.001)
        with pytest.raises(Throttled) as caught:
            accounts.check_password(db, "ann0", PASSWORD)
        assert caught.value.code == "login_busy"
        busy = _sign_in(client, "ann0", PASSWORD)
        assert busy.status_code == 429 and busy.json()["code"] == "login_busy"
        assert busy.headers["retry-after"] == "1"
    finally:
        release.set()
        for thread in holders + waiters:
            thread.join()
    # A busy answer is not a failed attempt, and the gate is whole again afterwards.
    with db.uow(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(LoginThrottle)) == 0
    assert _sign_in(client, "ann0", PASSWORD).status_code == 200
    assert waiters_failed in ([], ["login_busy"] * len(waiters_failed))
