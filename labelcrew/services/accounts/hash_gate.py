"""Password hashing that a flood of sign-ins cannot use to starve the server.

An argon2 hash or verify costs tens of milliseconds of CPU and 64 MiB by default, in a worker
thread. Unbounded, a few hundred sign-in attempts a second would hold every worker thread
(and all the memory) and the annotators' requests would wait behind them. So a process runs
at most `PERMITS` hashes at once (half its cores, at most 4), lets at most `QUEUE` more
callers wait for one, up to `WAIT_SECONDS`, and answers any caller beyond that at once with 429 `login_busy`:
no more than PERMITS + QUEUE worker threads are ever busy with passwords. The bound is per
process (a semaphore); each worker process of a server has its own, sized to the machine.

`dummy_verify` spends the same time as a real check, for sign-ins of unknown or inactive
users (so the answer's timing does not tell which usernames exist).
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from labelcrew.errors import Throttled

# Half the cores, at most 4; with the queue at most 8 threads, half the default worker pool
# (`LABELCREW_WORKER_THREADS`, 16), whatever the machine.
PERMITS = max(1, min((os.cpu_count() or 2) // 2, 4))
QUEUE = min(2 * PERMITS, 8 - PERMITS)
WAIT_SECONDS = 2.0
_in_gate = threading.BoundedSemaphore(PERMITS + QUEUE)
_hashing = threading.BoundedSemaphore(PERMITS)


def _busy() -> Throttled:
    return Throttled(
        "the server is busy checking other passwords; try again in a moment",
        code="login_busy",
        retry_after=1,
    )


@contextmanager
def gate() -> Iterator[None]:
    """Hold one of the hashing permits for the block, or raise Throttled (`login_busy`)."""
    if not _in_gate.acquire(blocking=False):
        raise _busy()
    try:
        if not _hashing.acquire(timeout=WAIT_SECONDS):
            raise _busy()
        try:
            yield
        finally:
            _hashing.release()
    finally:
        _in_gate.release()


class GatedHasher(PasswordHasher):
    """argon2-cffi's hasher with every hash and verify taken through `gate()`."""

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        with gate():
            return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with gate():
            return super().verify(hash, password)


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher.hash(secrets.token_urlsafe(24))


def dummy_verify(hasher: PasswordHasher, password: str) -> None:
    """Verify `password` against a hash no password matches, made with the hasher's own
    parameters: the work (and the time) of checking a real user's password."""
    dummy = _dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    with suppress(VerificationError):
        hasher.verify(dummy, password)
