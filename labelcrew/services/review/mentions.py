"""@mention notices: a comment that mentions a member tells them, in the app and by webhook.

`notify` runs inside the comment's unit of work: one `mention_notices` row per member
mentioned (the in-app notice their pages list, unread until they have seen it) and one
`comment.mentioned` outbox event each, so a webhook (chat, mail) can reach them too. Before
this, mentions were stored on the comment and nobody was ever told (issue 17). Members do not
get a notice for mentioning themselves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from labelcrew.db.models.core import User
from labelcrew.db.models.feedback import Comment, MentionNotice
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import emit
from labelcrew.services.uow import Database, UnitOfWork

EXCERPT = 200


def notify(uow: UnitOfWork, comment: Comment, mentions: dict[int, str]) -> None:
    for user_id, username in mentions.items():
        if user_id == comment.author_id:
            continue
        uow.session.add(
            MentionNotice(
                project_id=comment.project_id,
                user_id=user_id,
                comment_id=comment.id,
                created_at=uow.now,
            )
        )
        emit(
            uow,
            project_id=comment.project_id,
            event_type="comment.mentioned",
            payload={
                "comment_id": comment.id,
                "item_id": comment.item_id,
                "review_id": comment.review_id,
                "author_id": comment.author_id,
                "user_id": user_id,
                "username": username,
            },
        )


def list_mentions(
    db: Database, actor: Actor, project_id: int, *, limit: int = 20
) -> dict[str, Any]:
    """The caller's latest notices in the project, newest first, and how many are unread."""
    with db.uow(read_only=True) as uow:
        mine = (MentionNotice.user_id == actor.user_id) & (MentionNotice.project_id == project_id)
        rows = uow.session.execute(
            select(MentionNotice, Comment, User.username)
            .join(Comment, Comment.id == MentionNotice.comment_id)
            .join(User, User.id == Comment.author_id)
            .where(mine)
            .order_by(MentionNotice.id.desc())
            .limit(limit)
        ).all()
        unread = uow.session.scalar(
            select(func.count())
            .select_from(MentionNotice)
            .where(mine, MentionNotice.read_at.is_(None))
        )
        return {
            "unread": int(unread or 0),
            "mentions": [
                {
                    "id": n.id,
                    "comment_id": c.id,
                    "item_id": c.item_id,
                    "review_id": c.review_id,
                    "author": author,
                    "excerpt": c.body[:EXCERPT],
                    "created_at": n.created_at.isoformat(),
                    "read": n.read_at is not None,
                }
                for n, c, author in rows
            ],
        }


def mark_read(db: Database, actor: Actor, project_id: int) -> dict[str, int]:
    """Every unread notice of the caller in the project becomes read; returns how many."""
    with db.uow() as uow:
        done = uow.session.execute(
            update(MentionNotice)
            .where(
                MentionNotice.user_id == actor.user_id,
                MentionNotice.project_id == project_id,
                MentionNotice.read_at.is_(None),
            )
            .values(read_at=uow.now)
        )
        uow.commit()
        return {"marked": int(getattr(done, "rowcount", 0) or 0)}
