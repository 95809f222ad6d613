"""The record a drift test leaves behind when it fires: what moved, by how much, and on which items."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

ACCURACY_DROP = "accuracy_drop"
LABEL_SHIFT = "label_shift"


@dataclass(frozen=True)
class Alert:
    """A drift alert and its evidence.

    ``start``/``end`` are inclusive positions in the stream that fired (gold answers or
    consensus observations for ``accuracy_drop``, labels for ``label_shift``); ``item_ids`` are
    the ids passed alongside the stream for those positions (positions themselves when no ids
    were passed).
    """

    kind: str
    start: int
    end: int
    before_rate: float
    after_rate: float
    statistic: float
    threshold: float
    item_ids: tuple[Hashable, ...]
    details: dict[str, Any] = field(default_factory=dict)
