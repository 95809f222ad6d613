"""Users, tokens and browser sessions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from labelcrew.api.inputs import RequestModel
from labelcrew.api.schemas.accounts import (
    ActorOut,
    IssuedTokenOut,
    PasswordResetOut,
    TokenOut,
    UserOut,
)
from labelcrew.errors import Forbidden, Unauthenticated
from labelcrew.http.auth import (
    SESSION_COOKIE,
    db_of,
    require_admin,
    require_user,
    session_token,
    start_session,
)
from labelcrew.services.accounts import admin as account_admin
from labelcrew.services.accounts import login_guard, profile, sessions
from labelcrew.services.accounts import users as accounts
from labelcrew.services.accounts.users import Actor

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class UserIn(RequestModel):
    username: str
    password: str = Field(min_length=8)
    display_name: str = ""
    is_admin: bool = False


class UserPatch(RequestModel):
    display_name: str | None = None
    is_admin: bool | None = None


class TokenIn(RequestModel):
    name: str = "default"
    # None: the token lives until revoked.
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class PasswordChangeIn(RequestModel):
    current_password: str
    new_password: str


class PasswordResetIn(RequestModel):
    # None: a password is generated and returned, once.
    password: str | None = None


class LoginIn(RequestModel):
    username: str
    password: str


@router.post("/users", status_code=201, response_model=UserOut)
def create_user(body: UserIn, request: Request, actor: Actor = Depends(require_admin)) -> Any:
    return accounts.create_user(
        db_of(request),
        actor,
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        is_admin=body.is_admin,
    )


@router.get("/users", response_model=list[UserOut])
def list_users(request: Request, actor: Actor = Depends(require_admin)) -> Any:
    return accounts.list_users(db_of(request))


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(
    user_id: int, body: UserPatch, request: Request, actor: Actor = Depends(require_admin)
) -> Any:
    """Change a user's display name or administrator flag (not your own flag)."""
    return profile.update_user(
        db_of(request), actor, user_id, display_name=body.display_name, is_admin=body.is_admin
    )


@router.get("/me", response_model=ActorOut)
def me(actor: Actor = Depends(require_user)) -> Any:
    return actor


@router.post("/users/{user_id}/tokens", status_code=201, response_model=IssuedTokenOut)
def issue_token(
    user_id: int, body: TokenIn, request: Request, actor: Actor = Depends(require_user)
) -> Any:
    if user_id != actor.user_id and not actor.is_admin:
        raise Forbidden("you may only create tokens for yourself", code="forbidden")
    token = accounts.issue_token(
        db_of(request),
        actor,
        user_id=user_id,
        name=body.name,
        expires_in_days=body.expires_in_days,
    )
    return {"token": token}


@router.get("/users/{user_id}/tokens", response_model=list[TokenOut])
def list_tokens(user_id: int, request: Request, actor: Actor = Depends(require_user)) -> Any:
    """Your tokens (an admin: anyone's), with expiry and last use; never their values."""
    return accounts.list_tokens(db_of(request), actor, user_id)


@router.post("/users/{user_id}/deactivate", response_model=UserOut)
def deactivate_user(user_id: int, request: Request, actor: Actor = Depends(require_admin)) -> Any:
    """The user's sessions and tokens stop working at once."""
    return account_admin.deactivate(db_of(request), actor, user_id)


@router.post("/users/{user_id}/reactivate", response_model=UserOut)
def reactivate_user(user_id: int, request: Request, actor: Actor = Depends(require_admin)) -> Any:
    return account_admin.reactivate(db_of(request), actor, user_id)


@router.post("/users/{user_id}/password-reset", response_model=PasswordResetOut)
def reset_password(
    user_id: int, body: PasswordResetIn, request: Request, actor: Actor = Depends(require_admin)
) -> Any:
    """Set (or generate) a user's password and end their sessions; a generated one is in the
    answer, once."""
    generated = account_admin.reset_password(db_of(request), actor, user_id, password=body.password)
    return {"user_id": user_id, "password": generated}


@router.put("/me/password", status_code=204)
def change_password(
    body: PasswordChangeIn, request: Request, actor: Actor = Depends(require_user)
) -> None:
    """Needs the current password; ends every other session of yours (this one stays)."""
    account_admin.change_password(
        db_of(request),
        actor,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session=getattr(request.state, "session_id", None),
    )


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, request: Request, actor: Actor = Depends(require_user)) -> None:
    accounts.revoke_token(db_of(request), actor, token_id)


@router.post("/session", response_model=ActorOut)
def sign_in(body: LoginIn, request: Request, response: Response) -> Any:
    address = request.client.host if request.client else None
    actor = login_guard.sign_in(db_of(request), body.username, body.password, address=address)
    start_session(request, response, actor)
    return actor


@router.delete("/session", status_code=204)
def sign_out(request: Request, response: Response) -> None:
    """Revokes the session on the server: a copy of the cookie stops working too."""
    try:
        token = session_token(request)
    except Unauthenticated:
        token = None  # a cookie not signed by us names no session; just drop it
    if token is not None:
        sessions.end(db_of(request), token)
    response.delete_cookie(SESSION_COOKIE)
