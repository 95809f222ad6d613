"""Sign-in with throttling per account and per client address.

Failed attempts are counted per account name (whether or not the account exists, so the
throttle does not tell which do) and per client address, in the `login_throttles` table (it
holds across worker processes and restarts). Three counters: an account from one address
("account", `ACCOUNT_LIMIT`), an account from every address together ("everywhere",
`EVERYWHERE_LIMIT`), and an address over every account ("address", `ADDRESS_LIMIT`). So one
attacker who fails five times on a colleague's name locks only themselves out of it, not the
colleague (who signs in from another address); a guess spread over many addresses still meets
the "everywhere" lock, and one address guessing many names meets its own. At a counter's
limit-th failure its key is locked for 2 seconds, and each further failure doubles that, up to
`MAX_LOCK_SECONDS`: 2, 4, 8, ... 512, then 900 s. While a key is locked, sign-in answers 429
`login_throttled` with Retry-After, without checking the password (a locked attempt costs no
hashing). The count starts again after `WINDOW` without a failure (counted from the end of the
last lock); a successful sign-in clears the account's counts but not the address's (or signing
in to one's own account would reset an attacker's address).

The password check itself is `accounts.check_password`: unknown and inactive users are
checked against a dummy hash (same time), and every hash goes through `hash_gate`.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from labelcrew.db.models.login import LoginThrottle
from labelcrew.errors import Throttled, Unauthenticated
from labelcrew.services.accounts import users as accounts
from labelcrew.services.accounts.users import Actor
from labelcrew.services.uow import Database, UnitOfWork

ACCOUNT_LIMIT = 5
EVERYWHERE_LIMIT = 50
ADDRESS_LIMIT = 20
WINDOW = timedelta(minutes=15)
MAX_LOCK_SECONDS = 900
# Longer than any password the policy accepts (128) with room for older ones; a longer one
# is refused before any hashing (it cannot be right, and hashing it would cost).
MAX_SIGN_IN_PASSWORD = 1024
LIMITS = {"account": ACCOUNT_LIMIT, "everywhere": EVERYWHERE_LIMIT, "address": ADDRESS_LIMIT}


def _key(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _keys(username: str, address: str | None) -> list[tuple[str, str]]:
    """The counters of one attempt; the account's come first (a success clears those)."""
    name = username.strip().lower()
    keys = [("account", _key(f"{name}\x00{address or ''}")), ("everywhere", _key(name))]
    if address:
        keys.append(("address", _key(address)))
    return keys


def lock_seconds(failures: int, limit: int) -> int:
    """How long a key is locked after its `failures`-th failure (0: not locked)."""
    if failures < limit:
        return 0
    return min(int(2 ** min(failures - limit + 1, 20)), MAX_LOCK_SECONDS)


def sign_in(db: Database, username: str, password: str, *, address: str | None) -> Actor:
    """The user, if the password is right and neither the account nor the address is locked.

    Raises Throttled (`login_throttled`, 429) while locked, Unauthenticated
    (`bad_credentials`) for a wrong username or password."""
    keys = _keys(username, address)
    known = _refuse_if_locked(db, keys)
    try:
        if len(password) > MAX_SIGN_IN_PASSWORD or "\x00" in username:
            # No such password or user can exist (PostgreSQL text cannot even hold a NUL).
            raise Unauthenticated("wrong username or password", code="bad_credentials")
        actor = accounts.check_password(db, username, password)
    except Unauthenticated:
        _record_failure(db, keys)
        raise
    for key in keys[:2]:
        if key in known:
            _clear(db, key)
    return actor


def _refuse_if_locked(db: Database, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Raise Throttled if a key is locked; the keys that have a row."""
    with db.uow(read_only=True) as uow:
        rows = [row for kind, key in keys if (row := _row(uow, kind, key)) is not None]
        now = uow.now
    wait = max(
        ((row.locked_until - now).total_seconds() for row in rows if row.locked_until),
        default=0.0,
    )
    if wait > 0:
        raise Throttled(
            "too many failed sign-ins; wait before trying again",
            code="login_throttled",
            retry_after=int(wait) + (wait % 1 > 0),
        )
    return {(row.kind, row.key) for row in rows}


def _row(uow: UnitOfWork, kind: str, key: str, *, lock: bool = False) -> LoginThrottle | None:
    query = select(LoginThrottle).where(LoginThrottle.kind == kind, LoginThrottle.key == key)
    if lock:
        query = query.with_for_update()
    row: LoginThrottle | None = uow.session.scalar(query)
    return row


def _record_failure(db: Database, keys: list[tuple[str, str]]) -> None:
    with db.uow() as uow:
        now = uow.now
        insert = sqlite_insert if uow.db.is_sqlite else pg_insert
        for kind, key in keys:
            # Concurrent failures of one key: the insert makes the row exist, the row lock
            # (PostgreSQL; SQLite's writer lock) makes each count.
            uow.session.execute(
                insert(LoginThrottle)
                .values(kind=kind, key=key, failures=0, last_failure_at=now)
                .on_conflict_do_nothing()
            )
            row = _row(uow, kind, key, lock=True)
            assert row is not None
            quiet_since = max(row.last_failure_at, row.locked_until or row.last_failure_at)
            if now - quiet_since > WINDOW:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            seconds = lock_seconds(row.failures, LIMITS[kind])
            row.locked_until = now + timedelta(seconds=seconds) if seconds else None
        uow.commit()


def _clear(db: Database, key: tuple[str, str]) -> None:
    with db.uow() as uow:
        uow.session.execute(
            delete(LoginThrottle).where(LoginThrottle.kind == key[0], LoginThrottle.key == key[1])
        )
        uow.commit()


def prune(db: Database) -> int:
    """Delete counters quiet for over `WINDOW` (their count would start afresh anyway)."""
    with db.uow() as uow:
        cutoff = uow.now - WINDOW
        result = uow.session.execute(
            delete(LoginThrottle).where(
                LoginThrottle.last_failure_at < cutoff,
                LoginThrottle.locked_until.is_(None) | (LoginThrottle.locked_until < cutoff),
            )
        )
        uow.commit()
    return int(getattr(result, "rowcount", 0) or 0)
