"""Comment threads on items, and on reviews (a review's thread lives on its item).

Who sees a thread: staff (reviewers, QA, leads, guideline owners) and administrators see every
item's; an annotator sees the threads of items they hold or held, and of those only the review
sub-threads about their own labels. `@username` mentions are parsed from the text, must name
members who can see the item, and are stored with the comment; each member mentioned gets an
in-app notice and a `comment.mentioned` event for webhooks (`review.mentions`).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Member, User
from labelcrew.db.models.feedback import Comment, Review
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.review import mentions as mention_notices
from labelcrew.services.review.feedback_settings import (
    STAFF_ROLES,
    held,
    is_staff,
    member_of,
    visible_item,
)
from labelcrew.services.uow import Database, UnitOfWork

MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9_][A-Za-z0-9_.-]{0,79})")
MAX_BODY = 10_000


def parse_mentions(body: str) -> list[str]:
    """Usernames mentioned as `@name`, in order, once each (a trailing '.' ends a sentence)."""
    names: list[str] = []
    for raw in MENTION.findall(body):
        name = raw.rstrip(".-")
        if name and name not in names:
            names.append(name)
    return names


def comment_dict(c: Comment, author: str, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": c.id,
        "item_id": c.item_id,
        "review_id": c.review_id,
        "author_id": c.author_id,
        "author": author,
        "body": c.body,
        "mentions": [{"user_id": u, "username": names.get(u, "")} for u in c.mentions],
        "created_at": c.created_at.isoformat(),
    }


def _review_on(uow: UnitOfWork, item_id: int, review_id: int, actor: Actor, staff: bool) -> Review:
    review = uow.session.get(Review, review_id)
    if (
        review is None
        or review.item_id != item_id
        or (not staff and review.annotator_id != actor.user_id)
    ):
        raise NotFound(
            f"no review {review_id} on item {item_id}", code="review_not_found", field="review_id"
        )
    return review


def _resolve_mentions(uow: UnitOfWork, project_id: int, item_id: int, body: str) -> dict[int, str]:
    names = parse_mentions(body)
    if not names:
        return {}
    rows = uow.session.execute(
        select(User.username, User.id, Member.roles)
        .join(Member, Member.user_id == User.id)
        .where(Member.project_id == project_id, User.username.in_(names))
    ).all()
    found = {name: (uid, set(roles)) for name, uid, roles in rows}
    out: dict[int, str] = {}
    for name in names:
        if name not in found:
            raise ValidationFailed(
                f"@{name} is not a member of this project",
                code="unknown_mention",
                field="body",
                details={"mention": name},
            )
        uid, roles = found[name]
        if not STAFF_ROLES & roles and not held(uow, item_id, uid):
            raise ValidationFailed(
                f"@{name} cannot see this item (annotators see only items they worked on)",
                code="mention_cannot_see_item",
                field="body",
                details={"mention": name},
            )
        out[uid] = name
    return out


def add_comment(
    db: Database,
    actor: Actor,
    project_id: int,
    item_id: int,
    *,
    body: str,
    review_id: int | None = None,
) -> dict[str, Any]:
    text = body.strip()
    if not 1 <= len(text) <= MAX_BODY:
        raise ValidationFailed(f"a comment needs 1 to {MAX_BODY} characters", field="body")
    with db.uow() as uow:
        project = load_project(uow, project_id)
        item = visible_item(uow, project.id, item_id, actor)
        staff = is_staff(member_of(uow, project.id, actor.user_id), actor)
        if review_id is not None:
            _review_on(uow, item.id, review_id, actor, staff)
        mentions = _resolve_mentions(uow, project.id, item.id, text)
        comment = Comment(
            project_id=project.id,
            item_id=item.id,
            review_id=review_id,
            author_id=actor.user_id,
            body=text,
            mentions=list(mentions),
            created_at=uow.now,
        )
        uow.session.add(comment)
        uow.session.flush()
        audit(
            uow,
            actor_id=actor.user_id,
            action="comment.add",
            entity_type="comment",
            entity_id=comment.id,
            project_id=project.id,
            after={"item_id": item.id, "review_id": review_id, "mentions": list(mentions)},
        )
        emit(
            uow,
            project_id=project.id,
            event_type="comment.created",
            payload={
                "comment_id": comment.id,
                "item_id": item.id,
                "review_id": review_id,
                "author_id": actor.user_id,
                "mentions": list(mentions),
            },
        )
        mention_notices.notify(uow, comment, mentions)
        result = comment_dict(comment, actor.username, mentions)
        uow.commit()
        return result


def list_comments(
    db: Database, actor: Actor, project_id: int, item_id: int, *, review_id: int | None = None
) -> list[dict[str, Any]]:
    """The item's thread, oldest first (only one review's sub-thread when review_id is given)."""
    with db.uow(read_only=True) as uow:
        item = visible_item(uow, project_id, item_id, actor)
        staff = is_staff(member_of(uow, project_id, actor.user_id), actor)
        query = select(Comment, User.username).join(User, User.id == Comment.author_id)
        query = query.where(Comment.item_id == item.id)
        if review_id is not None:
            _review_on(uow, item.id, review_id, actor, staff)
            query = query.where(Comment.review_id == review_id)
        elif not staff:  # review sub-threads about other annotators' labels stay hidden
            others = select(Review.id).where(
                Review.item_id == item.id, Review.annotator_id != actor.user_id
            )
            query = query.where(Comment.review_id.is_(None) | Comment.review_id.notin_(others))
        rows = uow.session.execute(query.order_by(Comment.id)).all()
        ids = {u for c, _ in rows for u in c.mentions}
        names = dict(
            uow.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()
        )
        return [comment_dict(c, author, names) for c, author in rows]
