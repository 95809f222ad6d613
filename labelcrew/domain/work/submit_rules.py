"""The rules a submit obeys, apart from the database that supplies their inputs.

`services/work/submission.submit` reads the lease, the earlier annotation under the same key
and the gold answer, and hands them here; each rule raises the typed error the API maps to a
status (so the rule and its error code are tested without a database: tests/domain/).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from labelcrew.errors import Conflict, ValidationFailed

MAX_KEY_LENGTH = 200


def check_idempotency_key(key: str | None) -> None:
    """An Idempotency-Key, when given, has 1 to 200 characters."""
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ValidationFailed(
            f"Idempotency-Key must have 1 to {MAX_KEY_LENGTH} characters", field="Idempotency-Key"
        )


def check_value_shape(value: Any) -> dict[str, Any]:
    """A label value is an object keyed by schema field (the schema checks the rest)."""
    if not isinstance(value, dict):
        raise ValidationFailed("value must be an object keyed by schema field", field="value")
    return value


def is_replay(earlier: tuple[int, int] | None, *, project_id: int, item_id: int) -> bool:
    """Whether a submit repeats an earlier one under the same key: `earlier` is that
    annotation's (project_id, item_id), None when the key is new. The same key for another
    item is a client bug, refused with 409 `idempotency_key_reused` (never a second label)."""
    if earlier is None:
        return False
    if earlier != (project_id, item_id):
        raise Conflict(
            "this Idempotency-Key was used for another item",
            code="idempotency_key_reused",
            field="Idempotency-Key",
        )
    return True


def check_lease(
    *,
    item_id: int,
    lease_state: str | None,
    expires_at: datetime | None,
    now: datetime,
    is_gold: bool,
    free_slot: Callable[[], bool],
) -> None:
    """The caller holds a lease on the item (409 `no_lease` otherwise). An expired lease still
    counts while the item has a free slot for them (nobody took its place) and always on gold
    (gold has no overlap cap): 409 `lease_expired` only when someone else took it.
    `free_slot` is asked only when the lease has expired (it is a query)."""
    if lease_state != "leased" or expires_at is None:
        raise Conflict(
            f"you hold no lease on item {item_id}; call next first",
            code="no_lease",
            field="item_id",
        )
    if expires_at <= now and not is_gold and not free_slot():
        raise Conflict(
            "your lease expired and the item went to someone else",
            code="lease_expired",
            field="item_id",
        )


class ScoresFields(Protocol):
    def is_correct(self, name: str, got: Any, want: Any) -> bool: ...


def gold_correct(
    schema: ScoresFields, value: Mapping[str, Any], expected: Mapping[str, Any] | None
) -> bool | None:
    """A gold answer is right when every field the expert set is right (a partial gold answer
    scores only its own fields); None when the item has no gold answer."""
    if expected is None:
        return None
    return all(schema.is_correct(name, value.get(name), want) for name, want in expected.items())


def duration_ms(leased_at: datetime, now: datetime) -> int:
    """Time from the lease to the submit, in whole milliseconds."""
    return int((now - leased_at).total_seconds() * 1000)
