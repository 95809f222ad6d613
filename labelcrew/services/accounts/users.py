"""Users, passwords (argon2) and revocable API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import OperationalError

from labelcrew.config import get_settings
from labelcrew.db.engine import write_lock
from labelcrew.db.models.core import ApiToken, Member, User
from labelcrew.db.prepared import Prepared
from labelcrew.domain.accounts import password_policy
from labelcrew.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from labelcrew.services.accounts import hash_gate
from labelcrew.services.platform.events import audit
from labelcrew.services.uow import Database


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    settings = get_settings()
    # Gated: a flood of sign-ins cannot hold every worker thread (see hash_gate).
    return hash_gate.GatedHasher(
        time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
    )


USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
TOKEN_PREFIX = "lc_"


@dataclass(frozen=True)
class Actor:
    """Who is calling: resolved once per request from a token or a session cookie."""

    user_id: int
    username: str
    is_admin: bool


@dataclass(frozen=True)
class UserOut:
    id: int
    username: str
    display_name: str
    is_admin: bool
    is_active: bool


def _out(user: User) -> UserOut:
    return UserOut(user.id, user.username, user.display_name, user.is_admin, user.is_active)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    db: Database,
    actor: Actor | None,
    *,
    username: str,
    password: str,
    display_name: str = "",
    is_admin: bool = False,
) -> UserOut:
    if not USERNAME.match(username):
        raise ValidationFailed(
            f"username {username!r} must be 2-64 lowercase letters, digits, '.', '_' or '-'",
            field="username",
        )
    check_new_password(password, user_inputs=[username, display_name])
    with db.uow() as uow:
        if uow.session.scalar(select(User.id).where(User.username == username)) is not None:
            raise Conflict(
                f"user {username!r} already exists", code="user_exists", field="username"
            )
        user = User(
            username=username,
            display_name=display_name or username,
            password_hash=_hasher().hash(password),
            is_admin=is_admin,
            created_at=uow.now,
        )
        uow.session.add(user)
        uow.session.flush()
        audit(
            uow,
            actor_id=actor.user_id if actor else None,
            action="user.create",
            entity_type="user",
            entity_id=user.id,
            after={"username": username, "is_admin": is_admin},
        )
        uow.commit()
        return _out(user)


def check_new_password(
    password: str, field: str = "password", user_inputs: Iterable[str] = ()
) -> None:
    """What every new password (create, change, reset) must satisfy: the password policy."""
    password_policy.check(password, user_inputs=user_inputs, field=field)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def list_users(db: Database) -> list[UserOut]:
    with db.uow(read_only=True) as uow:
        return [_out(u) for u in uow.session.scalars(select(User).order_by(User.id))]


def get_user_by_name(db: Database, username: str) -> UserOut:
    with db.uow(read_only=True) as uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"no user {username!r}", field="username")
        return _out(user)


def check_password(db: Database, username: str, password: str) -> Actor:
    with db.uow(read_only=True) as uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None or not user.is_active:
            # The same work as a real check: the time does not tell which usernames exist.
            hash_gate.dummy_verify(_hasher(), password)
            raise Unauthenticated("wrong username or password", code="bad_credentials")
        try:
            _hasher().verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise Unauthenticated("wrong username or password", code="bad_credentials") from None
        return Actor(user.id, user.username, user.is_admin)


def issue_token(
    db: Database,
    actor: Actor | None,
    *,
    user_id: int,
    name: str = "default",
    expires_in_days: int | None = None,
) -> str:
    """Create a token for a user; only its hash is stored, so it is shown once. With
    `expires_in_days` it stops working that many days from now (401 `token_expired`)."""
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise ValidationFailed(
            f"expires_in_days must be between 1 and 3650, not {expires_in_days}",
            field="expires_in_days",
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.uow() as uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound(f"no user with id {user_id}", field="user_id")
        if not user.is_active:
            raise Conflict(
                f"user {user.username!r} is deactivated; reactivate them first",
                code="user_inactive",
                field="user_id",
            )
        expires = None if expires_in_days is None else uow.now + timedelta(days=expires_in_days)
        row = ApiToken(
            user_id=user_id,
            name=name,
            token_hash=hash_token(token),
            created_at=uow.now,
            expires_at=expires,
        )
        uow.session.add(row)
        uow.session.flush()
        audit(
            uow,
            actor_id=actor.user_id if actor else None,
            action="token.issue",
            entity_type="api_token",
            entity_id=row.id,
            after={
                "user_id": user_id,
                "name": name,
                "expires_at": None if expires is None else expires.isoformat(),
            },
        )
        uow.commit()
    return token


@dataclass(frozen=True)
class TokenOut:
    id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


def list_tokens(db: Database, actor: Actor, user_id: int) -> list[TokenOut]:
    """A user's tokens (never their values), newest first; yours, or anyone's for an admin."""
    if user_id != actor.user_id and not actor.is_admin:
        raise NotFound(f"no user with id {user_id}", field="user_id")
    with db.uow(read_only=True) as uow:
        rows = uow.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
        )
        return [
            TokenOut(t.id, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at)
            for t in rows
        ]


def revoke_token(db: Database, actor: Actor, token_id: int) -> None:
    with db.uow() as uow:
        row = uow.session.get(ApiToken, token_id)
        if row is None or (row.user_id != actor.user_id and not actor.is_admin):
            raise NotFound(f"no token with id {token_id}", field="token_id")
        if row.revoked_at is None:
            row.revoked_at = uow.now
            audit(
                uow,
                actor_id=actor.user_id,
                action="token.revoke",
                entity_type="api_token",
                entity_id=row.id,
                before={"revoked": False},
                after={"revoked": True},
            )
        uow.commit()


def actor_for_token(db: Database, token: str) -> Actor:
    return actor_and_roles(db, token, None)[0]


_users, _tokens, _members = (cast(Table, m.__table__) for m in (User, ApiToken, Member))
# The hot path's one authentication query, built once: the token's user and their roles.
ACTOR_AND_ROLES = Prepared(
    select(
        _users.c.id,
        _users.c.username,
        _users.c.is_admin,
        _users.c.is_active,
        _tokens.c.id.label("token_id"),
        _tokens.c.revoked_at,
        _tokens.c.expires_at,
        _tokens.c.last_used_at,
        _members.c.roles,
    )
    .select_from(
        _users.join(_tokens, _tokens.c.user_id == _users.c.id).outerjoin(
            _members,
            (_members.c.user_id == _users.c.id)
            & (_members.c.project_id == bindparam("project_id")),
        )
    )
    .where(_tokens.c.token_hash == bindparam("token_hash")),
    named=True,
)
TOUCH_TOKEN = Prepared(
    update(_tokens)
    .where(_tokens.c.id == bindparam("token_id"))
    .values(last_used_at=bindparam("used"))
)
# last_used_at is refreshed at most this often: next and submit come with the token per item.
TOUCH_EVERY = timedelta(minutes=1)


def record_use(db: Database, statement: Prepared, params: dict[str, Any]) -> None:
    """Write a last-use time, if that costs the request nothing to wait for.

    On SQLite `require` authenticates on the event loop, so this never queues behind another
    writer of the process (it tries the write lock and otherwise leaves the time to the next
    request); it is not durable (a crash only loses a last-use time); and a failed write does
    not fail the request it rides on."""
    lock = write_lock(db.engine)
    if lock is not None and not lock.acquire(blocking=False):
        return
    try:
        with db.uow(durable=False) as uow:
            statement.run(uow.conn, params)
            uow.commit()
    except OperationalError:
        pass  # busy or locked: the next request records it
    finally:
        if lock is not None:
            lock.release()


def actor_and_roles(
    db: Database, token: str, project_id: int | None
) -> tuple[Actor, frozenset[str] | None]:
    """The token's user and their roles in a project (None when they are not a member, or
    when no project is asked about)."""
    rows = ACTOR_AND_ROLES.read(
        db.engine, {"project_id": project_id, "token_hash": hash_token(token)}
    )
    row = rows[0] if rows else None
    if row is None or row.revoked_at is not None or not row.is_active:
        raise Unauthenticated("invalid or revoked token", code="invalid_token")
    now = db.clock()
    if row.expires_at is not None and now >= row.expires_at:
        raise Unauthenticated("this API token has expired", code="token_expired")
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        record_use(db, TOUCH_TOKEN, {"token_id": row.token_id, "used": now})
    roles = None if row.roles is None else frozenset(row.roles)
    return Actor(row.id, row.username, row.is_admin), roles
