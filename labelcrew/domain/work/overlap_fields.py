"""Dynamic overlap over every field: an item gets another label while any required field is
below the project's target confidence, not only its first single-choice field.

- A required single-choice field: the one-coin posterior of `DynamicOverlap` over its options,
  from the labels that set it (each annotator's gold accuracy, or the default).
- Any other compared required field (multi choice, rating, ranking, spans, boxes; see
  `domain.quality.splits`): the share of labels in the largest agreeing group, which is 1.0 when
  all agree and falls as they split (2 of 3 agree: 0.67). There is no posterior for these kinds
  here; the share is the plain, conservative stand-in.
- Free text is never compared, so it never asks for more labels.

`min_overlap` and `max_overlap` bound it as for one field: fewer labels than the minimum always
ask, the maximum never does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from labelcrew.domain.quality.splits import field_splits
from labelcrew.domain.schema.fields import SingleChoice
from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.domain.work.overlap import DynamicOverlap


def fields_below_target(
    policy: DynamicOverlap,
    schema: LabelSchema,
    values: Sequence[Mapping[str, Any]],
    accuracy: Sequence[float | None],
) -> list[str]:
    """The required fields below target, in schema order (`["*"]` under the minimum)."""
    if len(values) < policy.min_overlap:
        return ["*"]
    if len(values) >= policy.max_overlap:
        return []
    below = []
    shares = {s.field: s.share for s in field_splits(schema, values)}
    for field in schema.fields:
        if not field.required:
            continue
        if isinstance(field, SingleChoice):
            given = [
                (field.options.index(v[field.name]), acc)
                for v, acc in zip(values, accuracy, strict=True)
                if v.get(field.name) in field.options
            ]
            if not given:
                continue
            known = [a for _, a in given]
            skills = (
                None
                if all(a is None for a in known)
                else [a if a is not None else policy.default_accuracy for a in known]
            )
            confidence = policy.confidence([c for c, _ in given], skills, len(field.options))
            if confidence < policy.target_confidence:
                below.append(field.name)
        elif shares.get(field.name, 1.0) < policy.target_confidence:
            below.append(field.name)
    return below
