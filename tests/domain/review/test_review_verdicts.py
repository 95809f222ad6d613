"""The review rules without a database (labelcrew/domain/review/verdicts.py)."""

from __future__ import annotations

import pytest

from labelcrew.domain.review import verdicts
from labelcrew.errors import Conflict, Forbidden, ValidationFailed


@pytest.mark.parametrize(
    ("verdict", "corrected", "comment", "field"),
    [
        ("maybe", None, "", "verdict"),
        ("correct", None, "", "corrected_value"),
        ("accept", {"a": 1}, "", "corrected_value"),
        ("reject", {"a": 1}, "", "corrected_value"),
        ("accept", None, "x" * 10_001, "comment"),
    ],
)
def test_bad_verdicts_name_their_field(verdict, corrected, comment, field) -> None:
    with pytest.raises(ValidationFailed) as refused:
        verdicts.check_verdict(verdict, corrected, comment)
    assert refused.value.field == field


def test_good_verdicts_pass() -> None:
    verdicts.check_verdict("accept", None, "x" * 10_000)
    verdicts.check_verdict("correct", {"a": 1}, "")
    verdicts.check_verdict("reject", None, "")


def test_only_the_holder_of_a_leased_review_task_records() -> None:
    verdicts.check_review_lease(item_id=3, task_state="leased", reviewer_id=9, actor_id=9)
    for state, reviewer in ((None, None), ("done", 9), ("leased", 8), ("open", None)):
        with pytest.raises(Conflict) as refused:
            verdicts.check_review_lease(
                item_id=3, task_state=state, reviewer_id=reviewer, actor_id=9
            )
        assert refused.value.code == "no_review_lease"


def test_nobody_reviews_their_own_label() -> None:
    verdicts.check_not_own(False)
    with pytest.raises(Forbidden) as refused:
        verdicts.check_not_own(True)
    assert refused.value.code == "self_review"


def test_corrections_and_rejections_need_a_tag_accepts_do_not() -> None:
    verdicts.check_tags("accept", [])
    verdicts.check_tags("correct", ["wrong-label"])
    for verdict in ("correct", "reject"):
        with pytest.raises(ValidationFailed) as refused:
            verdicts.check_tags(verdict, [])
        assert refused.value.code == "error_tag_required"


def test_a_correction_equal_to_the_label_is_refused() -> None:
    verdicts.check_correction_changes(None, {"a": 1})
    verdicts.check_correction_changes({"a": 2}, {"a": 1})
    with pytest.raises(ValidationFailed) as refused:
        verdicts.check_correction_changes({"a": 1}, {"a": 1})
    assert refused.value.code == "correction_unchanged"


def test_the_task_is_done_when_every_live_label_is_reviewed() -> None:
    assert verdicts.remaining([1, 2, 3], [2]) == [1, 3]
    assert verdicts.remaining([1, 2], [1, 2, 5]) == []
    assert verdicts.remaining(iter([4]), iter([])) == [4]
