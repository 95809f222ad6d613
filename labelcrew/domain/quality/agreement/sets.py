"""Krippendorff's alpha for multi-choice labels (sets of categories).

Each rating is a set of labels. Alpha is computed exactly as for single values (see
`labelcrew.domain.quality.agreement.alpha`), with every distinct set observed treated as one value of
the domain and a set distance in place of the level-of-measurement distance:

- Jaccard distance: ``d(A, B) = 1 - |A ∩ B| / |A ∪ B|``
- MASI distance (Passonneau, R. (2006). Measuring agreement on set-valued items (MASI) for
  semantic and pragmatic annotation. *Proceedings of LREC 2006*):
  ``d(A, B) = 1 - J(A, B) * M(A, B)`` with monotonicity ``M = 1`` if ``A = B``, ``2/3`` if one
  set contains the other, ``1/3`` if they intersect otherwise, ``0`` if disjoint.

Two empty sets are identical (distance 0). Undefined alphas are NaN, as for single values.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from labelcrew.domain.quality.agreement.alpha import (
    alpha_from_coincidences,
    check_domain_size,
    coincidences,
)
from labelcrew.domain.quality.agreement.data import (
    FloatArray,
    UnitValueTable,
    as_column,
    unit_codes,
)
from labelcrew.errors import ValidationFailed

SetDistance = Literal["jaccard", "masi"]


def set_distances(sets: Sequence[frozenset[Hashable]], distance: SetDistance) -> FloatArray:
    """The V x V distance matrix between the given sets."""
    labels = {label: column for column, label in enumerate({x for s in sets for x in s})}
    member = np.zeros((len(sets), len(labels)))
    for row, labelled in enumerate(sets):
        member[row, [labels[x] for x in labelled]] = 1.0
    size = member.sum(axis=1)
    shared = member @ member.T
    union = size[:, None] + size[None, :] - shared
    jaccard = np.divide(shared, union, out=np.ones_like(union), where=union > 0)
    if distance == "jaccard":
        jaccard_distance: FloatArray = 1.0 - jaccard
        return jaccard_distance
    if distance == "masi":
        equal = (shared == size[:, None]) & (shared == size[None, :])
        nested = (shared == size[:, None]) | (shared == size[None, :])
        monotonicity = np.where(
            equal, 1.0, np.where(nested, 2.0 / 3.0, np.where(shared > 0, 1.0 / 3.0, 0.0))
        )
        masi: FloatArray = 1.0 - jaccard * monotonicity
        return masi
    raise ValidationFailed(
        f"distance must be 'jaccard' or 'masi', got {distance!r}",
        code="agreement_bad_distance",
        field="distance",
    )


def set_alpha(
    item: npt.ArrayLike, value: Sequence[Iterable[Hashable]], distance: SetDistance = "masi"
) -> float:
    """Krippendorff's alpha of long-format multi-choice ratings (one set per row)."""
    items = as_column("item", item)
    if len(value) != items.size:
        raise ValidationFailed(
            f"value has {len(value)} rows but item has {items.size}",
            code="agreement_length_mismatch",
            field="value",
        )
    if distance not in ("jaccard", "masi"):
        set_distances([], distance)  # raises the typed error
    if items.size == 0:
        return float("nan")
    domain: dict[frozenset[Hashable], int] = {}
    codes = np.empty(items.size, dtype=np.intp)
    for row, labels in enumerate(value):
        if isinstance(labels, str):
            raise ValidationFailed(
                f"value row {row} is a string; a multi-choice rating is a collection of labels",
                code="agreement_bad_set",
                field="value",
            )
        codes[row] = domain.setdefault(frozenset(labels), len(domain))
    check_domain_size(len(domain))
    units, n_units = unit_codes(items)
    o = coincidences(UnitValueTable(units, n_units, codes, len(domain)))
    return alpha_from_coincidences(o, set_distances(list(domain), distance))
