"""Sign-in throttling: failed attempts per account and per client address.

A table rather than process memory so the count holds across the server's worker processes
and across restarts (an attacker cannot reset it by making a worker restart).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from labelcrew.db.models.core import Base


class LoginThrottle(Base):
    """Recent failed sign-ins of one account name or one client address.

    `key` is the SHA-256 of the username or address as sent (so any input, NUL characters
    and megabyte names included, fits and nothing attacker-chosen is stored in clear)."""

    __tablename__ = "login_throttles"
    kind: Mapped[str] = mapped_column(
        String(10), primary_key=True
    )  # "account" | "everywhere" | "address"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
