"""The submit rules without a database (labelcrew/domain/work/submit_rules.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from labelcrew.domain.work import submit_rules as rules
from labelcrew.errors import Conflict, ValidationFailed

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("key", [None, "k", "x" * 200])
def test_keys_of_1_to_200_characters_pass(key: str | None) -> None:
    rules.check_idempotency_key(key)


@pytest.mark.parametrize("key", ["", "x" * 201])
def test_empty_and_overlong_keys_are_refused_naming_the_header(key: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        rules.check_idempotency_key(key)
    assert refused.value.field == "Idempotency-Key"


def test_a_value_must_be_an_object() -> None:
    assert rules.check_value_shape({"a": 1}) == {"a": 1}
    for bad in (["a"], "a", 3, None):
        with pytest.raises(ValidationFailed) as refused:
            rules.check_value_shape(bad)
        assert refused.value.field == "value"


def test_a_key_seen_for_the_same_item_replays_and_for_another_is_refused() -> None:
    assert rules.is_replay(None, project_id=1, item_id=7) is False
    assert rules.is_replay((1, 7), project_id=1, item_id=7) is True
    for other in ((1, 8), (2, 7)):
        with pytest.raises(Conflict) as refused:
            rules.is_replay(other, project_id=1, item_id=7)
        assert refused.value.code == "idempotency_key_reused"


def _lease(**kw: Any) -> None:
    args: dict[str, Any] = {
        "item_id": 7,
        "lease_state": "leased",
        "expires_at": NOW + timedelta(minutes=5),
        "now": NOW,
        "is_gold": False,
        "free_slot": lambda: pytest.fail("free_slot asked for a live lease"),
    }
    rules.check_lease(**{**args, **kw})


def test_a_live_lease_passes_without_asking_for_a_free_slot() -> None:
    _lease()


@pytest.mark.parametrize("state", [None, "submitted", "released", "expired"])
def test_no_lease_is_409_no_lease(state: str | None) -> None:
    with pytest.raises(Conflict) as refused:
        _lease(lease_state=state)
    assert refused.value.code == "no_lease" and refused.value.field == "item_id"


def test_an_expired_lease_counts_while_a_slot_is_free_and_always_on_gold() -> None:
    expired = {"expires_at": NOW}  # expiry is inclusive: at the instant it is expired
    _lease(**expired, free_slot=lambda: True)
    _lease(**expired, is_gold=True, free_slot=lambda: pytest.fail("gold asks for no slot"))
    with pytest.raises(Conflict) as refused:
        _lease(**expired, free_slot=lambda: False)
    assert refused.value.code == "lease_expired"


class _Exact:
    def is_correct(self, name: str, got: Any, want: Any) -> bool:
        return bool(got == want)


def test_gold_scores_every_field_the_expert_set_and_only_those() -> None:
    value = {"sentiment": "negative", "severity": 3, "note": "anything"}
    assert rules.gold_correct(_Exact(), value, None) is None
    assert rules.gold_correct(_Exact(), value, {"sentiment": "negative"}) is True
    assert rules.gold_correct(_Exact(), value, {"sentiment": "negative", "severity": 3}) is True
    assert rules.gold_correct(_Exact(), value, {"sentiment": "negative", "severity": 4}) is False
    assert rules.gold_correct(_Exact(), {}, {"sentiment": "negative"}) is False


def test_duration_is_whole_milliseconds() -> None:
    assert rules.duration_ms(NOW, NOW + timedelta(seconds=1.2345)) == 1234
    assert rules.duration_ms(NOW, NOW) == 0
