"""Users, tokens and browser sessions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from labelcrew.api.inputs import RequestModel
from labelcrew.api.security import (
    SESSION_COOKIE,
    db_of,
    require_admin,
    require_user,
    session_serializer,
)
from labelcrew.errors import Forbidden
from labelcrew.services import accounts
from labelcrew.services.accounts import Actor

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class UserIn(RequestModel):
    username: str
    password: str = Field(min_length=8)
    display_name: str = ""
    is_admin: bool = False


class TokenIn(RequestModel):
    name: str = "default"


class LoginIn(RequestModel):
    username: str
    password: str


@router.post("/users", status_code=201)
def create_user(body: UserIn, request: Request, actor: Actor = Depends(require_admin)) -> Any:
    return accounts.create_user(
        db_of(request),
        actor,
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        is_admin=body.is_admin,
    )


@router.get("/users")
def list_users(request: Request, actor: Actor = Depends(require_admin)) -> Any:
    return accounts.list_users(db_of(request))


@router.get("/me")
def me(actor: Actor = Depends(require_user)) -> Any:
    return actor


@router.post("/users/{user_id}/tokens", status_code=201)
def issue_token(
    user_id: int, body: TokenIn, request: Request, actor: Actor = Depends(require_user)
) -> Any:
    if user_id != actor.user_id and not actor.is_admin:
        raise Forbidden("you may only create tokens for yourself", code="forbidden")
    return {"token": accounts.issue_token(db_of(request), actor, user_id=user_id, name=body.name)}


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, request: Request, actor: Actor = Depends(require_user)) -> None:
    accounts.revoke_token(db_of(request), actor, token_id)


@router.post("/session")
def sign_in(body: LoginIn, request: Request, response: Response) -> Any:
    actor = accounts.check_password(db_of(request), body.username, body.password)
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        session_serializer(request).dumps({"uid": actor.user_id}),
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="strict",
        secure=settings.environment != "development",
    )
    return actor


@router.delete("/session", status_code=204)
def sign_out(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)
