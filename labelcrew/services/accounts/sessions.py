"""Browser sessions kept on the server: start at sign-in, look up per request, revoke.

The cookie carries a random token (signed as well, so a cookie made without the install's
secret is refused before any query); the table holds only its SHA-256, so a copy of the
database does not yield live sessions. A session ends at `expires_at` (sign-in plus
`session_hours`), after `session_idle_minutes` without a request, when revoked (sign-out, a
password change or reset, deactivation) or when its user is deactivated.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, bindparam, delete, select, update

from labelcrew.db.models.core import Member, User
from labelcrew.db.models.sessions import UserSession
from labelcrew.db.prepared import Prepared
from labelcrew.errors import Unauthenticated
from labelcrew.services.accounts.users import Actor, hash_token, record_use
from labelcrew.services.uow import Database, UnitOfWork

SESSION_PREFIX = "ls_"
# last_seen_at is refreshed at most this often: the idle limit is minutes, a write per
# request would cost the annotator's web workspace a write per item.
TOUCH_EVERY = timedelta(minutes=1)

_users, _sessions, _members = (cast(Table, m.__table__) for m in (User, UserSession, Member))
# One read per request, as for tokens: the session's user and (on project routes) their roles.
SESSION_AND_ROLES = Prepared(
    select(
        _users.c.id,
        _users.c.username,
        _users.c.is_admin,
        _users.c.is_active,
        _sessions.c.id.label("session_id"),
        _sessions.c.revoked_at,
        _sessions.c.expires_at,
        _sessions.c.last_seen_at,
        _members.c.roles,
    )
    .select_from(
        _users.join(_sessions, _sessions.c.user_id == _users.c.id).outerjoin(
            _members,
            (_members.c.user_id == _users.c.id)
            & (_members.c.project_id == bindparam("project_id")),
        )
    )
    .where(_sessions.c.token_hash == bindparam("token_hash")),
    named=True,
)
TOUCH = Prepared(
    update(_sessions)
    .where(_sessions.c.id == bindparam("session_id"))
    .values(last_seen_at=bindparam("seen"))
)


def start(
    db: Database,
    actor: Actor,
    *,
    hours: int,
    user_agent: str = "",
    client_ip: str = "",
) -> str:
    """A new session for a user who just proved who they are; returns its token (the cookie
    carries it, only its hash is stored)."""
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    with db.uow() as uow:
        # This user's sessions that expired over a day ago go, so the table holds only recent
        # sessions without a clean-up job.
        uow.session.execute(
            delete(UserSession).where(
                UserSession.user_id == actor.user_id,
                UserSession.expires_at < uow.now - timedelta(days=1),
            )
        )
        uow.session.add(
            UserSession(
                token_hash=hash_token(token),
                user_id=actor.user_id,
                created_at=uow.now,
                last_seen_at=uow.now,
                expires_at=uow.now + timedelta(hours=hours),
                user_agent=user_agent[:200],
                client_ip=client_ip[:64],
            )
        )
        uow.commit()
    return token


def actor_and_roles(
    db: Database, token: str, project_id: int | None, *, idle_minutes: int
) -> tuple[Actor, frozenset[str] | None, int]:
    """The session's user, their roles in a project (None: not a member, or no project asked
    about) and the session's id; Unauthenticated if the session is over."""
    rows = SESSION_AND_ROLES.read(
        db.engine, {"project_id": project_id, "token_hash": hash_token(token)}
    )
    row = rows[0] if rows else None
    if row is None or row.revoked_at is not None or not row.is_active:
        raise Unauthenticated("your session has ended; sign in again", code="invalid_session")
    now = db.clock()
    if now >= row.expires_at or now - row.last_seen_at >= timedelta(minutes=idle_minutes):
        raise Unauthenticated("your session expired; sign in again", code="session_expired")
    if now - row.last_seen_at >= TOUCH_EVERY:
        record_use(db, TOUCH, {"session_id": row.session_id, "seen": now})
    roles = None if row.roles is None else frozenset(row.roles)
    return Actor(row.id, row.username, row.is_admin), roles, row.session_id


def end(db: Database, token: str) -> None:
    """Sign-out: the session's row is revoked, so a copy of the cookie is worthless too."""
    with db.uow() as uow:
        uow.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == hash_token(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=uow.now, revoked_reason="sign_out")
        )
        uow.commit()


def revoke_all(uow: UnitOfWork, user_id: int, reason: str, *, keep: int | None = None) -> int:
    """Revoke a user's live sessions (but `keep`) inside the caller's unit of work; how many."""
    statement = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(UserSession.id != keep)
    result = uow.session.execute(statement.values(revoked_at=uow.now, revoked_reason=reason))
    return int(result.rowcount)  # type: ignore[attr-defined]


def active_count(db: Database, user_id: int, *, idle_minutes: int) -> int:
    """Sessions of a user that would still be accepted now (for the admin's user page)."""
    with db.uow(read_only=True) as uow:
        rows = uow.session.execute(
            select(UserSession.expires_at, UserSession.last_seen_at).where(
                UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
            )
        )
        idle = timedelta(minutes=idle_minutes)
        return sum(1 for exp, seen in rows if uow.now < exp and uow.now - seen < idle)


# Rows older than this past their end are deleted by the "accounts.prune" job: long enough to
# read in the audit of a session that ended, short enough that the table stays small.
KEEP_ENDED = timedelta(days=30)


def prune(db: Database) -> int:
    """Delete sessions that expired, or were revoked, over `KEEP_ENDED` ago; how many went."""
    with db.uow() as uow:
        cutoff = uow.now - KEEP_ENDED
        result = uow.session.execute(
            delete(UserSession).where(
                (UserSession.expires_at < cutoff) | (UserSession.revoked_at < cutoff)
            )
        )
        uow.commit()
    return int(getattr(result, "rowcount", 0) or 0)
