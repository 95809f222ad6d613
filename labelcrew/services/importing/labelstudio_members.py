"""Label Studio annotators as labelcrew members, found or created by e-mail.

labelcrew users have no e-mail column: the e-mail a person had in Label Studio is kept in
`external_identities` (provider `labelstudio`), so a second import maps them to the same
user. A new user gets a username made from the e-mail, no usable password and
`is_active = false`: they cannot sign in until a lead invites them (an admin reactivates the
account and sets a password), yet their imported labels count from the start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from labelcrew.db.models.core import Member, User
from labelcrew.db.models.predictions import ExternalIdentity
from labelcrew.services.importing.labelstudio_mapping import LOCAL_DOMAIN, PROVIDER
from labelcrew.services.uow import UnitOfWork

# An argon2 hash never starts with "!", so no password verifies against this one.
NO_PASSWORD = "!imported-from-labelstudio"
_NOT_USERNAME = re.compile(r"[^a-z0-9_.-]+")


@dataclass
class MemberCounts:
    created: list[str] = field(default_factory=list)
    mapped: list[str] = field(default_factory=list)
    added_to_project: int = 0


def username_for(email: str) -> str:
    """A valid username from an e-mail: `Ann.Lee@Example.com` -> `ann.lee-example.com`."""
    base = _NOT_USERNAME.sub("-", email.lower().replace("@", "-")).strip("-._")
    base = base[:64] if len(base) >= 2 else f"ls-{base}"
    return base if base[0].isalnum() else f"u{base}"[:64]


def _free_username(uow: UnitOfWork, wanted: str) -> str:
    candidate, n = wanted, 2
    while uow.session.scalar(select(User.id).where(User.username == candidate)) is not None:
        suffix = f"-{n}"
        candidate, n = wanted[: 64 - len(suffix)] + suffix, n + 1
    return candidate


def user_for(uow: UnitOfWork, email: str, display_name: str, counts: MemberCounts) -> int:
    found = uow.session.scalar(
        select(ExternalIdentity.user_id).where(
            ExternalIdentity.provider == PROVIDER, ExternalIdentity.key == email
        )
    )
    if found is None and email.endswith(f"@{LOCAL_DOMAIN}"):
        found = uow.session.scalar(
            select(User.id).where(User.username == email.removesuffix(f"@{LOCAL_DOMAIN}"))
        )
    if found is not None:
        counts.mapped.append(email)
        return int(found)
    user = User(
        username=_free_username(uow, username_for(email)),
        display_name=display_name or email,
        password_hash=NO_PASSWORD,
        is_admin=False,
        is_active=False,
        created_at=uow.now,
    )
    uow.session.add(user)
    uow.session.flush()
    uow.session.add(
        ExternalIdentity(provider=PROVIDER, key=email, user_id=user.id, created_at=uow.now)
    )
    counts.created.append(email)
    return user.id


def ensure_member(uow: UnitOfWork, project_id: int, user_id: int, counts: MemberCounts) -> None:
    exists = uow.session.scalar(
        select(Member.id).where(Member.project_id == project_id, Member.user_id == user_id)
    )
    if exists is None:
        uow.session.add(
            Member(
                project_id=project_id,
                user_id=user_id,
                roles=["annotator"],
                status="active",
                status_since=uow.now,
                skills={},
                created_at=uow.now,
            )
        )
        counts.added_to_project += 1
