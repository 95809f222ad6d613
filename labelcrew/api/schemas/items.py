"""Response models of `api/routes/items.py`: items as staff see them, gold answers, batches.

Payloads are shown as the caller's roles may see the project's sensitive fields."""

from __future__ import annotations

from typing import Any

from labelcrew.api.schemas import Out


class ItemOut(Out):
    """An item: its payload and where it stands in the queue."""

    id: int
    external_id: str
    payload: dict[str, Any]
    priority: int
    required_skills: list[str]
    batch_id: int | None
    difficulty: str
    is_gold: bool
    overlap_target: int
    annotation_count: int
    state: str


class ItemPageOut(Out):
    """One page of a project's items, and how many there are in all."""

    total: int
    items: list[ItemOut]


class ItemAnnotationOut(Out):
    """A label given on an item, superseded ones (by a relabel) included."""

    id: int
    annotator: str
    value: dict[str, Any]
    schema_version: int
    guideline_version: int | None
    duration_ms: int | None
    superseded: bool
    created_at: str


class ItemGoldAnswer(Out):
    """A gold item's known answer, the rule that decides it, and its kind ("gold" tests
    understanding, "honeypot" attention); staff only."""

    value: dict[str, Any]
    rule: str | None
    kind: str


class ItemDetailOut(ItemOut):
    """An item with every label given on it; `gold` only for gold managers, on gold items
    (null when the answer is missing)."""

    annotations: list[ItemAnnotationOut]
    gold: ItemGoldAnswer | None = None


class GoldSetOut(Out):
    """The gold answer stored for an item (its value as the schema validated it)."""

    item_id: int
    value: dict[str, Any]
    rule: str | None
    kind: str  # "gold" or "honeypot"


class _BatchFields(Out):
    id: int
    name: str
    owner: str | None
    state: str
    deadline: str | None
    handoff_note: str


class BatchOut(_BatchFields):
    """A batch with its owner, state and progress."""

    items: int
    items_done: int
    progress: float


class BatchListed(_BatchFields):
    """A batch in the list; the live counts only for readers of batch details (annotators
    could tell gold items apart by watching them move)."""

    items: int | None = None
    items_done: int | None = None
    progress: float | None = None


class BatchItemRow(Out):
    """An item of a batch and how many labels it has of its target."""

    id: int
    external_id: str
    state: str
    annotations: int
    overlap_target: int


class BatchItemsOut(Out):
    """One page of a batch's items."""

    batch_id: int
    items: list[BatchItemRow]
