"""Settings from the environment, one prefix: LABELCREW_."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_FILE = "secret_key"
MIN_SECRET_BYTES = 32
# Secrets that were once published as defaults: whoever read the source can sign with them.
PUBLISHED_SECRETS = frozenset({"dev-only-secret-change-me"})


class Settings(BaseSettings):
    # hide_input_in_errors: a refused secret_key must not be printed in the error.
    model_config = SettingsConfigDict(
        env_prefix="LABELCREW_", extra="ignore", hide_input_in_errors=True
    )

    environment: str = "development"
    data_dir: Path = Path("labelcrew-data")
    database_url: str = ""
    # Empty: the install's own secret, generated once into `<data_dir>/secret_key` (0600).
    secret_key: str = Field(default="", repr=False)
    lease_seconds: int = 900
    # A browser session ends `session_hours` after sign-in, or after `session_idle_minutes`
    # without a request, whichever comes first.
    session_hours: int = 12
    session_idle_minutes: int = 120
    # argon2id cost (RFC 9106's second recommendation by default); tests lower it for speed.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    host: str = "127.0.0.1"
    port: int = 8000
    # Threads that run blocking handlers (database work) in a server process. More threads than
    # this only add GIL hand-offs: 32 annotators on PostgreSQL got 77 items/s with anyio's
    # default of 40 threads, 96-99 with 16, 8 or 4.
    worker_threads: int = 16
    # Database connections a server process keeps open: more than its threads (on SQLite most
    # routes look the token up on the event loop), so a busy server never closes and reopens
    # connections (a PostgreSQL connection costs the database a process start).
    db_pool_size: int = 24
    # Request bodies (bytes): JSON and form routes, and the import upload (streamed to a
    # spool file, so its cap is about disk, not memory). See labelcrew/api/body_limits.py.
    max_body_bytes: int = 1 << 20
    max_import_bytes: int = 2 << 30
    # Import limits: one value of an item's data, and the whole data object of one row, as
    # stored JSON. Far above any text a person labels; a 60 MB cell is a mistake or an attack.
    import_max_field_bytes: int = 1 << 20
    import_max_row_bytes: int = 4 << 20

    @model_validator(mode="after")
    def _check(self) -> Settings:
        given = bool(self.secret_key)
        if not given:
            self.secret_key = load_or_create_secret(self.data_dir / SECRET_FILE)
        where = "LABELCREW_SECRET_KEY" if given else str(self.data_dir / SECRET_FILE)
        if self.secret_key in PUBLISHED_SECRETS:
            raise ValueError(f"{where} holds a published secret; set a random one")
        if self.environment != "development" and len(self.secret_key.encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"{where} is shorter than {MIN_SECRET_BYTES} bytes, refused outside development "
                f"(LABELCREW_ENVIRONMENT={self.environment}); generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        if self.session_hours < 1 or self.session_idle_minutes < 1:
            raise ValueError(
                "LABELCREW_SESSION_HOURS and LABELCREW_SESSION_IDLE_MINUTES must be >= 1"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'labelcrew.db').resolve()}"


def load_or_create_secret(path: Path) -> str:
    """The install's signing secret: read from `path`, or generated there on first start.

    The file is written whole under a temporary name and linked into place, so two processes
    starting at once agree on one secret and neither reads a half-written file. A file that
    others may read is refused rather than silently tightened: the secret may have leaked.
    """
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
            out.flush()
            os.fsync(out.fileno())
        # Another process may have got there first: then its secret is the install's.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ValueError(
                f"secret file {path} has mode {mode:04o}: others may read it; "
                f"run `chmod 600 {path}` (and rotate it if it may have leaked)"
            )
    secret = path.read_text().strip()
    if not secret:
        raise ValueError(f"secret file {path} is empty; delete it to generate a new one")
    return secret


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
