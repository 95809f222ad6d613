"""`labelcrew user ...` commands that end or limit access: deactivate, reactivate,
reset-password, tokens (with expiry and last use), revoke-token. Audited as the CLI's
administrator (`system_actor`), like every CLI change."""

from __future__ import annotations

import typer
from rich.table import Table

from labelcrew.cli.common import fail, get_db, system_actor
from labelcrew.cli.core import console, user_app
from labelcrew.errors import LabelcrewError
from labelcrew.services.accounts import admin as account_admin
from labelcrew.services.accounts import users as accounts


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
    """The commands join `labelcrew user` (added to the app by `labelcrew.cli.core`)."""
