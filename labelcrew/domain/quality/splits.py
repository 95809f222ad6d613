"""How an item's labels split, field by field: the rule behind disagreement routing (review
queue, hard items), the review page's "which fields disagree" and dynamic overlap's check of
fields without a posterior.

Two values of a field *agree* when the field's own gold rule says so (`Field.is_correct`):
exact equality of the canonical form for choices, ratings, rankings and spans; a one-to-one
IoU >= threshold matching with equal labels for boxes. So a box two pixels off agrees, and a
kind added later brings its own rule. Labels are grouped greedily: each value joins the first
group whose first value it agrees with. Free-text fields are never compared (two people word a
note differently without disagreeing on anything); they are reported elsewhere, not routed.
Only labels that set the field count: an optional field left empty is not a disagreement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labelcrew.domain.schema.label_schema import LabelSchema

NOT_COMPARED = ("text",)


@dataclass(frozen=True, slots=True)
class FieldSplit:
    """The labels of one field on one item, grouped by agreement."""

    field: str
    kind: str
    required: bool
    n_labels: int
    groups: int
    largest: int

    @property
    def agrees(self) -> bool:
        return self.groups <= 1

    @property
    def share(self) -> float:
        """The largest group's share of the labels (1.0 when all agree)."""
        return self.largest / self.n_labels if self.n_labels else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "kind": self.kind,
            "required": self.required,
            "n_labels": self.n_labels,
            "groups": self.groups,
            "agreeing_share": round(self.share, 4),
        }


def field_splits(schema: LabelSchema, values: Sequence[Mapping[str, Any]]) -> list[FieldSplit]:
    """One split per compared field that at least two of `values` set, in schema order."""
    splits = []
    for field in schema.fields:
        if field.kind in NOT_COMPARED:
            continue
        given = [v[field.name] for v in values if v.get(field.name) is not None]
        if len(given) < 2:
            continue
        groups: list[tuple[Any, int]] = []
        for value in given:
            for k, (first, size) in enumerate(groups):
                if field.is_correct(value, first):
                    groups[k] = (first, size + 1)
                    break
            else:
                groups.append((value, 1))
        splits.append(
            FieldSplit(
                field=field.name,
                kind=field.kind,
                required=field.required,
                n_labels=len(given),
                groups=len(groups),
                largest=max(size for _, size in groups),
            )
        )
    return splits


def disagreeing(
    schema: LabelSchema, values: Sequence[Mapping[str, Any]], *, required_only: bool = True
) -> list[FieldSplit]:
    """The splits of the fields the labels disagree on (required fields only, by default)."""
    return [
        s
        for s in field_splits(schema, values)
        if not s.agrees and (s.required or not required_only)
    ]
