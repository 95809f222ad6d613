"""How the worker spaces its retries: exponential backoff with jitter, and when it gives up.

The jitter matters with several workers: deliveries to one receiver that failed together
(the receiver was down) would otherwise all come due in the same second again, and so would
every worker's retries of a failing periodic job."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerConfig:
    batch_size: int = 100
    timeout: float = 10.0
    # A delivery that failed this many times is dead-lettered ('dead'): kept with its last
    # answer for the operator, never sent again unless requeued.
    max_attempts: int = 8
    backoff_base: float = 10.0
    backoff_cap: float = 6 * 3600.0
    # Each wait is drawn from [(1 - jitter) * backoff, backoff]: 0 gives exact waits.
    jitter: float = 0.5
    claim_seconds: float = 60.0
    # A periodic job that failed this many runs in a row is parked ('dead') until requeued.
    job_max_failures: int = 5
    job_retry_base: float = 30.0
    # A job marked running for longer than this is taken for abandoned (its worker died).
    job_lease_seconds: float = 3600.0

    def backoff(self, attempts: int) -> float:
        return float(min(self.backoff_cap, self.backoff_base * 2 ** (attempts - 1)))

    def jittered(self, seconds: float, rng: random.Random) -> float:
        return seconds * (1.0 - self.jitter * rng.random())

    def delivery_wait(self, attempts: int, rng: random.Random) -> float:
        return self.jittered(self.backoff(attempts), rng)

    def job_retry_wait(self, failures: int, every_seconds: float, rng: random.Random) -> float:
        """A failing job retries sooner than its period (a transient error in an hourly job
        need not wait an hour), never later."""
        wait = min(every_seconds, self.job_retry_base * 2 ** (failures - 1))
        return self.jittered(wait, rng)
