"""Response models of `api/routes/comments.py`: comments in item and review threads."""

from __future__ import annotations

from labelcrew.api.schemas import Out


class CommentMentionOut(Out):
    """A member @mentioned in a comment."""

    user_id: int
    username: str


class CommentOut(Out):
    """A comment in an item's thread (in one review's sub-thread when `review_id` is set)."""

    id: int
    item_id: int
    review_id: int | None
    author_id: int
    author: str
    body: str
    mentions: list[CommentMentionOut]
    created_at: str


class MentionNoticeOut(Out):
    """A comment that @mentions the caller: who wrote it, on which item, and an excerpt."""

    id: int
    comment_id: int
    item_id: int
    review_id: int | None
    author: str
    excerpt: str
    created_at: str
    read: bool


class MyMentionsOut(Out):
    """The caller's latest mention notices in the project, newest first, and the unread count."""

    unread: int
    mentions: list[MentionNoticeOut]


class MentionsReadOut(Out):
    """How many unread notices were marked read."""

    marked: int
