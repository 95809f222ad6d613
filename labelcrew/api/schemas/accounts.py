"""Response models of users, tokens and browser sessions (`api/routes/accounts.py`)."""

from __future__ import annotations

from labelcrew.api.schemas import Out, When


class UserOut(Out):
    """A user account (never its password hash)."""

    id: int
    username: str
    display_name: str
    is_admin: bool
    is_active: bool


class ActorOut(Out):
    """Who is calling: the signed-in user, as a token or a session resolves them."""

    user_id: int
    username: str
    is_admin: bool


class IssuedTokenOut(Out):
    """A new API token's value: shown this once, only its hash is kept."""

    token: str


class TokenOut(Out):
    """An API token without its value: when it was made, expires, was last used, revoked."""

    id: int
    name: str
    created_at: When
    expires_at: When | None
    last_used_at: When | None
    revoked_at: When | None


class PasswordResetOut(Out):
    """A password reset: the generated password (once), or null when one was given."""

    user_id: int
    password: str | None
