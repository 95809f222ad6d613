"""`labelcrew user add|list|token|deactivate|reactivate|reset-password|tokens|revoke-token`:
accounts and API tokens. Changes are audited as the CLI's administrator (`system_actor`)."""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.table import Table

from labelcrew.cli.common import fail, get_db, system_actor
from labelcrew.errors import LabelcrewError
from labelcrew.services.accounts import admin as account_admin
from labelcrew.services.accounts import users as accounts

console = Console()


user_app = typer.Typer(help="User accounts and API tokens.", no_args_is_help=True)


def password_of(value: str | None) -> str:
    if value:
        return value
    env = os.environ.get("LABELCREW_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise typer.BadParameter("give --password or set LABELCREW_PASSWORD")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("add")
def user_add(
    username: str,
    password: str = typer.Option(None, help="Password (or LABELCREW_PASSWORD, or a prompt)."),
    admin: bool = typer.Option(False, help="Make the user a global administrator."),
    display_name: str = typer.Option("", help="Name shown in the UI."),
) -> None:
    """Create a user account."""
    db = get_db()
    try:
        user = accounts.create_user(
            db,
            system_actor(db),
            username=username,
            password=password_of(password),
            is_admin=admin,
            display_name=display_name,
        )
    except LabelcrewError as exc:
        fail(exc)
    console.print(f"user {user.username} created (id {user.id})")


@user_app.command("list")
def user_list() -> None:
    """List user accounts."""
    table = Table("id", "username", "name", "admin", "active")
    for u in accounts.list_users(get_db()):
        table.add_row(str(u.id), u.username, u.display_name, str(u.is_admin), str(u.is_active))
    console.print(table)


@user_app.command("token")
def user_token(
    username: str,
    name: str = typer.Option("cli", help="A label for the token."),
    expires_in_days: int = typer.Option(None, help="Days until it stops working (default never)."),
) -> None:
    """Issue an API token for a user (printed once)."""
    db = get_db()
    try:
        user = accounts.get_user_by_name(db, username)
        token = accounts.issue_token(
            db, system_actor(db), user_id=user.id, name=name, expires_in_days=expires_in_days
        )
        console.print(token)
    except LabelcrewError as exc:
        fail(exc)


def _when(value: object) -> str:
    return "never" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


@user_app.command("deactivate")
def user_deactivate(username: str) -> None:
    """Deactivate a user: their sessions and API tokens stop working at once."""
    db = get_db()
    try:
        user = accounts.get_user_by_name(db, username)
        account_admin.deactivate(db, system_actor(db), user.id)
    except LabelcrewError as exc:
        fail(exc)
    console.print(f"user {username} deactivated; their sessions and tokens are revoked")


@user_app.command("reactivate")
def user_reactivate(username: str) -> None:
    """Let a deactivated user sign in again (their old tokens stay revoked)."""
    db = get_db()
    try:
        user = accounts.get_user_by_name(db, username)
        account_admin.reactivate(db, system_actor(db), user.id)
    except LabelcrewError as exc:
        fail(exc)
    console.print(f"user {username} reactivated")


@user_app.command("reset-password")
def user_reset_password(
    username: str,
    password: str = typer.Option(None, help="The new password (default: generate one)."),
) -> None:
    """Set a user's password (or generate one, printed once) and end their sessions; also
    how a forgotten administrator password is recovered."""
    db = get_db()
    try:
        user = accounts.get_user_by_name(db, username)
        generated = account_admin.reset_password(
            db, system_actor(db), user.id, password=password, allow_own=True
        )
    except LabelcrewError as exc:
        fail(exc)
    console.print(f"password of {username} reset; their sessions ended")
    if generated:
        console.print("new password (shown once):")
        console.print(generated, markup=False, highlight=False)


@user_app.command("tokens")
def user_tokens(username: str) -> None:
    """List a user's API tokens with their expiry and last use."""
    db = get_db()
    try:
        user = accounts.get_user_by_name(db, username)
        tokens = accounts.list_tokens(db, system_actor(db), user.id)
    except LabelcrewError as exc:
        fail(exc)
    table = Table("id", "name", "created", "expires", "last used", "state")
    for t in tokens:
        state = "revoked" if t.revoked_at else "active"
        row = (_when(t.created_at), _when(t.expires_at), _when(t.last_used_at), state)
        table.add_row(str(t.id), t.name, *row)
    console.print(table)


@user_app.command("revoke-token")
def user_revoke_token(token_id: int) -> None:
    """Revoke one API token by its id (see `labelcrew user tokens`)."""
    db = get_db()
    try:
        accounts.revoke_token(db, system_actor(db), token_id)
    except LabelcrewError as exc:
        fail(exc)
    console.print(f"token {token_id} revoked")


def register(app: typer.Typer, bench: typer.Typer) -> None:

    app.add_typer(user_app, name="user")
