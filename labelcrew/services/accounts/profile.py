"""Editing an account (display name, administrator flag) and the projects it belongs to.

The administrator flag cannot be taken from oneself: the last administrator could otherwise
lock everyone out of user administration, and a slip on one's own page should not do it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Member, Project, User
from labelcrew.errors import Conflict, NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor, UserOut
from labelcrew.services.platform.events import audit
from labelcrew.services.uow import Database, UnitOfWork

MAX_DISPLAY_NAME = 200


def _user(uow: UnitOfWork, user_id: int) -> User:
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}", code="user_not_found", field="user_id")
    return user


def update_user(
    db: Database,
    actor: Actor,
    user_id: int,
    *,
    display_name: str | None = None,
    is_admin: bool | None = None,
) -> UserOut:
    """Change what is given (None leaves it); audited with the values before and after."""
    if display_name is not None:
        display_name = display_name.strip()
        if not 1 <= len(display_name) <= MAX_DISPLAY_NAME:
            raise ValidationFailed(
                f"a display name has 1 to {MAX_DISPLAY_NAME} characters", field="display_name"
            )
    if is_admin is False and user_id == actor.user_id:
        raise Conflict(
            "you cannot take your own administrator rights; another administrator can",
            code="own_account",
            field="is_admin",
        )
    with db.uow() as uow:
        user = _user(uow, user_id)
        before = {"display_name": user.display_name, "is_admin": user.is_admin}
        if display_name is not None:
            user.display_name = display_name
        if is_admin is not None:
            user.is_admin = is_admin
        after = {"display_name": user.display_name, "is_admin": user.is_admin}
        audit(
            uow,
            actor_id=actor.user_id,
            action="user.update",
            entity_type="user",
            entity_id=user.id,
            before=before,
            after=after,
        )
        uow.commit()
        return UserOut(user.id, user.username, user.display_name, user.is_admin, user.is_active)


def memberships(db: Database, user_id: int) -> list[dict[str, Any]]:
    """Every project the user is a member of, with their roles and status there."""
    with db.uow(read_only=True) as uow:
        _user(uow, user_id)
        rows = uow.session.execute(
            select(Project.id, Project.name, Member.roles, Member.status)
            .join(Member, Member.project_id == Project.id)
            .where(Member.user_id == user_id)
            .order_by(Project.name)
        )
        return [
            {"project_id": pid, "project": name, "roles": list(roles), "status": status}
            for pid, name, roles, status in rows
        ]
