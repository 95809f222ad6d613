"""Comment threads on items and on reviews, with @mentions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from labelcrew.api.inputs import RequestModel
from labelcrew.api.schemas.comments import CommentOut, MentionsReadOut, MyMentionsOut
from labelcrew.domain.permissions import Action
from labelcrew.http.auth import Ctx, db_of, require
from labelcrew.services.review import comments, mentions

router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["comments"])


class CommentIn(RequestModel):
    body: str
    review_id: int | None = None


@router.get("/items/{item_id}/comments", response_model=list[CommentOut])
def list_comments(
    project_id: int,
    item_id: int,
    request: Request,
    review_id: int | None = None,
    ctx: Ctx = Depends(require(Action.COMMENT_READ)),
) -> Any:
    return comments.list_comments(
        db_of(request), ctx.actor, project_id, item_id, review_id=review_id
    )


@router.post("/items/{item_id}/comments", status_code=201, response_model=CommentOut)
def add_comment(
    project_id: int,
    item_id: int,
    body: CommentIn,
    request: Request,
    ctx: Ctx = Depends(require(Action.COMMENT_WRITE)),
) -> Any:
    return comments.add_comment(
        db_of(request), ctx.actor, project_id, item_id, body=body.body, review_id=body.review_id
    )


@router.get("/my/mentions", response_model=MyMentionsOut)
def my_mentions(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.COMMENT_READ))
) -> Any:
    return mentions.list_mentions(db_of(request), ctx.actor, project_id)


@router.post("/my/mentions/read", response_model=MentionsReadOut)
def read_my_mentions(
    project_id: int, request: Request, ctx: Ctx = Depends(require(Action.COMMENT_READ))
) -> Any:
    return mentions.mark_read(db_of(request), ctx.actor, project_id)
