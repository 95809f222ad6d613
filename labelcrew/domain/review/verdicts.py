"""The rules a recorded review obeys, apart from the database that supplies their inputs.

`services/review/reviews.record_review` reads the review lease, the reviewer's own labels, the
tags and the target label, and hands them here (tested without a database: tests/domain/).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from labelcrew.errors import Conflict, Forbidden, ValidationFailed

VERDICTS = ("accept", "correct", "reject")
MAX_COMMENT = 10_000


def check_verdict(verdict: str, corrected_value: Any, comment: str) -> None:
    """A known verdict; a correction (and only a correction) carries a corrected value; a
    comment of at most 10,000 characters."""
    if verdict not in VERDICTS:
        raise ValidationFailed(f"verdict must be one of {', '.join(VERDICTS)}", field="verdict")
    if verdict == "correct" and corrected_value is None:
        raise ValidationFailed("a correction needs corrected_value", field="corrected_value")
    if verdict != "correct" and corrected_value is not None:
        raise ValidationFailed(
            f"corrected_value goes with verdict 'correct', not {verdict!r}", field="corrected_value"
        )
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(
            f"comment must have at most {MAX_COMMENT} characters", field="comment"
        )


def check_review_lease(
    *, item_id: int, task_state: str | None, reviewer_id: int | None, actor_id: int
) -> None:
    """The reviewer holds the item's review lease (409 `no_review_lease` otherwise)."""
    if task_state != "leased" or reviewer_id != actor_id:
        raise Conflict(
            f"you hold no review lease on item {item_id}; call review/next first",
            code="no_review_lease",
            field="item_id",
        )


def check_not_own(labelled_it: bool) -> None:
    """Nobody reviews an item they labelled (403 `self_review`)."""
    if labelled_it:
        raise Forbidden("nobody reviews an item they labeled", code="self_review")


def check_tags(verdict: str, tags: list[str]) -> None:
    """A correction or a rejection names at least one error tag (the taxonomy is the point)."""
    if verdict != "accept" and not tags:
        raise ValidationFailed(
            f"a {verdict!r} review needs at least one error tag",
            code="error_tag_required",
            field="error_tags",
        )


def check_correction_changes(corrected: Any, label: Any) -> None:
    """A correction that equals the label is an accept in disguise: refused, so correction
    rates count only real changes."""
    if corrected is not None and corrected == label:
        raise ValidationFailed(
            "the correction equals the label; use verdict 'accept'",
            code="correction_unchanged",
            field="corrected_value",
        )


def remaining(live_annotations: Iterable[int], reviewed: Iterable[int]) -> list[int]:
    """The item's live labels not yet reviewed in this task (the task is done when none)."""
    done = set(reviewed)
    return [a for a in live_annotations if a not in done]
