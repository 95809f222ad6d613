"""Server-side browser sessions: the cookie carries a random token, this table its hash.

A signed cookie alone cannot be taken back; a row can. Sign-out, a password change or reset
and deactivating the user set `revoked_at`; the lookup also ends a session `session_hours`
after `created_at` (`expires_at`) and after `session_idle_minutes` without a request
(`last_seen_at`, refreshed at most once a minute so a busy annotator is not a write per item).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from labelcrew.db.models.core import Base


class UserSession(Base):
    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_user", "user_id", "revoked_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # Why it ended: sign_out, password_change, password_reset, deactivated.
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    client_ip: Mapped[str] = mapped_column(String(64), default="")
