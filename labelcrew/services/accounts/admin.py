"""What ends access: password change and reset, deactivation and reactivation (all audited).

Each runs in one unit of work with the revocations it implies, so there is no moment in
which the user is deactivated but one of their sessions or tokens still works.
"""

from __future__ import annotations

import secrets

from sqlalchemy import update

from labelcrew.db.models.core import ApiToken, User
from labelcrew.errors import Conflict, NotFound, ValidationFailed
from labelcrew.services.accounts import sessions
from labelcrew.services.accounts.users import (
    Actor,
    UserOut,
    check_new_password,
    hash_password,
    verify_password,
)
from labelcrew.services.platform.events import audit
from labelcrew.services.uow import Database, UnitOfWork


def _user(uow: UnitOfWork, user_id: int) -> User:
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}", code="user_not_found", field="user_id")
    return user


def _out(user: User) -> UserOut:
    return UserOut(user.id, user.username, user.display_name, user.is_admin, user.is_active)


def change_password(
    db: Database,
    actor: Actor,
    *,
    current_password: str,
    new_password: str,
    keep_session: int | None = None,
) -> int:
    """The signed-in user's own change: it needs the current password, and it ends every
    other session of theirs (the one making the change, `keep_session`, stays). API tokens
    are not touched: they are revoked one by one. Returns how many sessions ended."""
    check_new_password(new_password, field="new_password", user_inputs=[actor.username])
    with db.uow() as uow:
        user = _user(uow, actor.user_id)
        if not verify_password(user.password_hash, current_password):
            # Not 401: the caller's session is fine, one field of the form is not.
            raise ValidationFailed(
                "the current password is wrong", code="wrong_password", field="current_password"
            )
        user.password_hash = hash_password(new_password)
        ended = sessions.revoke_all(uow, user.id, "password_change", keep=keep_session)
        audit(
            uow,
            actor_id=actor.user_id,
            action="user.password_change",
            entity_type="user",
            entity_id=user.id,
            after={"sessions_revoked": ended},
        )
        uow.commit()
        return ended


def reset_password(
    db: Database,
    actor: Actor,
    user_id: int,
    *,
    password: str | None = None,
    allow_own: bool = False,
) -> str | None:
    """An administrator sets a user's password (or has one generated, returned to be shown
    once) and ends all of that user's sessions. Over HTTP your own password you change, with
    the current one: a stolen admin session must not be enough to take the account over. The
    CLI (`allow_own`), run by whoever owns the machine, is how a forgotten admin password is
    recovered."""
    if user_id == actor.user_id and not allow_own:
        raise Conflict(
            "change your own password with your current one (PUT /api/v1/me/password)",
            code="own_password",
            field="user_id",
        )
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(12)
    check_new_password(password)
    with db.uow() as uow:
        user = _user(uow, user_id)
        user.password_hash = hash_password(password)
        ended = sessions.revoke_all(uow, user.id, "password_reset")
        audit(
            uow,
            actor_id=actor.user_id,
            action="user.password_reset",
            entity_type="user",
            entity_id=user.id,
            after={"generated": generated is not None, "sessions_revoked": ended},
        )
        uow.commit()
    return generated


def deactivate(db: Database, actor: Actor, user_id: int) -> UserOut:
    """The user can no longer sign in, and every session and API token of theirs is revoked
    now (reactivating them does not bring those back)."""
    if user_id == actor.user_id:
        raise Conflict("you cannot deactivate yourself", code="own_account", field="user_id")
    with db.uow() as uow:
        user = _user(uow, user_id)
        was_active = user.is_active
        user.is_active = False
        ended = sessions.revoke_all(uow, user.id, "deactivated")
        tokens = uow.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=uow.now)
        ).rowcount  # type: ignore[attr-defined]
        audit(
            uow,
            actor_id=actor.user_id,
            action="user.deactivate",
            entity_type="user",
            entity_id=user.id,
            before={"is_active": was_active},
            after={"is_active": False, "sessions_revoked": ended, "tokens_revoked": tokens},
        )
        uow.commit()
        return _out(user)


def reactivate(db: Database, actor: Actor, user_id: int) -> UserOut:
    """The user may sign in again (with new sessions and tokens: the old ones stay revoked)."""
    with db.uow() as uow:
        user = _user(uow, user_id)
        was_active = user.is_active
        user.is_active = True
        audit(
            uow,
            actor_id=actor.user_id,
            action="user.reactivate",
            entity_type="user",
            entity_id=user.id,
            before={"is_active": was_active},
            after={"is_active": True},
        )
        uow.commit()
        return _out(user)


def get_user(db: Database, user_id: int) -> UserOut:
    with db.uow(read_only=True) as uow:
        return _out(_user(uow, user_id))
