"""Response models of `api/routes/work.py`: the annotator's hot path.

Next and submit render their `FastJSON` bodies themselves (no validation on the hot path): for
them these models are documentation, and tests/integration/api/test_documented_bodies.py checks
real bodies against them."""

from __future__ import annotations

from typing import Any, Literal

from labelcrew.api.schemas import Out


class ServedItem(Out):
    """The item to label: its id and payload (sensitive fields as the annotator may see them).
    Gold and ordinary items look exactly alike."""

    id: int
    payload: dict[str, Any]


class NextItemOut(Out):
    """The annotator's lease on their next item, and the schema and guideline versions to
    label it under."""

    assignment_id: int
    item: ServedItem
    queue: str
    leased_at: str
    expires_at: str
    schema_version: int | None
    guideline_version: int | None


class SubmittedAnnotationOut(Out):
    """The stored label; `created` is false when an Idempotency-Key replays an earlier submit."""

    annotation_id: int
    item_id: int
    value: dict[str, Any]
    schema_version: int
    guideline_version: int | None
    duration_ms: int | None
    created_at: str
    created: bool


class LeaseGivenBackOut(Out):
    """A lease given back: skipped (never served to the caller again) or released."""

    item_id: int
    state: Literal["skipped", "released"]


class BatchClaimReleasedOut(Out):
    """A batch claim dropped, and how many of the caller's leases in it were released."""

    batch_id: int
    released_leases: int


class MyProgressOut(Out):
    """The caller's own progress: labels submitted today (UTC) and in all, items skipped, and
    the names of the batches they hold a claim on."""

    submitted: int
    today: int
    skipped: int
    batches: list[str]
