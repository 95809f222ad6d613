"""Settings from the environment, one prefix: LABELCREW_."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LABELCREW_", extra="ignore")

    environment: str = "development"
    data_dir: Path = Path("labelcrew-data")
    database_url: str = ""
    secret_key: str = DEV_SECRET
    lease_seconds: int = 900
    session_hours: int = 12
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
    # Import limits: one value of an item's data, and the whole data object of one row, as
    # stored JSON. Far above any text a person labels; a 60 MB cell is a mistake or an attack.
    import_max_field_bytes: int = 1 << 20
    import_max_row_bytes: int = 4 << 20

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.environment != "development" and self.secret_key == DEV_SECRET:
            raise ValueError(
                "LABELCREW_SECRET_KEY must be set outside development "
                f"(LABELCREW_ENVIRONMENT={self.environment})"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'labelcrew.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
