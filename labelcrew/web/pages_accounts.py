"""Your account (password change, your tokens) and the administrator's page for one user:
edit the display name and administrator flag, see their projects, deactivate, reactivate,
reset the password, issue and revoke tokens.

Each form calls the same service as its API route. A generated password or a new token is
shown on the page that answers the form, once: it is never stored where it could be read back.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from labelcrew.errors import LabelcrewError
from labelcrew.http.auth import db_of, require_admin
from labelcrew.services.accounts import admin as account_admin
from labelcrew.services.accounts import profile, sessions
from labelcrew.services.accounts import users as accounts
from labelcrew.web.render import Page, PageRoute, redirect, render, signed_in

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _account(request: Request, page: Page, status_code: int = 200, **extra: Any) -> Response:
    tokens = accounts.list_tokens(db_of(request), page.actor, page.actor.user_id)
    shown = {"saved": None, "error": None, **extra}  # every name the template reads
    return render(request, "account.html", page, status_code=status_code, tokens=tokens, **shown)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, page: Page = Depends(signed_in)) -> Response:
    return _account(request, page)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    current_password: str = Form(""),
    new_password: str = Form(""),
    page: Page = Depends(signed_in),
) -> Response:
    try:
        ended = account_admin.change_password(
            db_of(request),
            page.actor,
            current_password=current_password,
            new_password=new_password,
            keep_session=getattr(request.state, "session_id", None),
        )
    except LabelcrewError as exc:
        # A wrong current password is 401 in the API; here it is the form's error, not a
        # reason to sign the user out.
        return _account(request, page, status_code=400, error=exc.message)
    return _account(request, page, saved=f"password changed; {ended} other session(s) ended")


def _user_page(request: Request, page: Page, user_id: int, **extra: Any) -> Response:
    db = db_of(request)
    idle = request.app.state.settings.session_idle_minutes
    return render(
        request,
        "user.html",
        page,
        user=account_admin.get_user(db, user_id),
        tokens=accounts.list_tokens(db, page.actor, user_id),
        live_sessions=sessions.active_count(db, user_id, idle_minutes=idle),
        memberships=profile.memberships(db, user_id),
        **{"saved": None, "generated": None, "new_token": None, **extra},
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(user_id: int, request: Request, page: Page = Depends(signed_in)) -> Response:
    require_admin(request)
    return _user_page(request, page, user_id)


@router.post("/admin/users/{user_id}/edit")
def edit_user(
    user_id: int,
    request: Request,
    display_name: str = Form(""),
    is_admin: bool = Form(False),
    page: Page = Depends(signed_in),
) -> Response:
    """The form always sends both: an unticked box means "not an administrator"."""
    profile.update_user(
        db_of(request),
        require_admin(request),
        user_id,
        display_name=display_name,
        is_admin=is_admin,
    )
    return redirect(f"/admin/users/{user_id}")


@router.post("/admin/users/{user_id}/deactivate")
def deactivate(user_id: int, request: Request, page: Page = Depends(signed_in)) -> Response:
    account_admin.deactivate(db_of(request), require_admin(request), user_id)
    return redirect(f"/admin/users/{user_id}")


@router.post("/admin/users/{user_id}/reactivate")
def reactivate(user_id: int, request: Request, page: Page = Depends(signed_in)) -> Response:
    account_admin.reactivate(db_of(request), require_admin(request), user_id)
    return redirect(f"/admin/users/{user_id}")


@router.post("/admin/users/{user_id}/password-reset", response_class=HTMLResponse)
def reset_password(
    user_id: int,
    request: Request,
    password: str = Form(""),
    page: Page = Depends(signed_in),
) -> Response:
    actor = require_admin(request)
    generated = account_admin.reset_password(
        db_of(request), actor, user_id, password=password or None
    )
    return _user_page(
        request, page, user_id, saved="password reset; their sessions ended", generated=generated
    )


@router.post("/admin/users/{user_id}/tokens", response_class=HTMLResponse)
def issue_token(
    user_id: int,
    request: Request,
    name: str = Form("web"),
    expires_in_days: str = Form(""),
    page: Page = Depends(signed_in),
) -> Response:
    actor = require_admin(request)
    days = int(expires_in_days) if expires_in_days.strip().isdigit() else None
    token = accounts.issue_token(
        db_of(request), actor, user_id=user_id, name=name or "web", expires_in_days=days
    )
    return _user_page(request, page, user_id, new_token=token)


@router.post("/admin/users/{user_id}/tokens/{token_id}/revoke")
def revoke_token(
    user_id: int, token_id: int, request: Request, page: Page = Depends(signed_in)
) -> Response:
    accounts.revoke_token(db_of(request), require_admin(request), token_id)
    return redirect(f"/admin/users/{user_id}")
