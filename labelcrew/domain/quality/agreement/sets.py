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

`distance_alpha` is the same alpha for values of any kind compared by any distance (used for
rankings); `set_alpha` is the special case with a set distance.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Literal

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
# distance(a, b): the len(a) x len(b) matrix of distances between two lists of values.
CrossDistance = Callable[[Sequence[Any], Sequence[Any]], "npt.ArrayLike"]
# distance_alpha asks for distance blocks of at most this many cells (rows x domain size).
_BLOCK_CELLS = 1 << 22


def set_distances(sets: Sequence[frozenset[Hashable]], distance: SetDistance) -> FloatArray:
    """The V x V distance matrix between the given sets."""
    return set_cross_distances(sets, sets, distance)


def set_cross_distances(
    rows: Sequence[frozenset[Hashable]],
    columns: Sequence[frozenset[Hashable]],
    distance: SetDistance,
) -> FloatArray:
    """The len(rows) x len(columns) distance matrix between two lists of sets."""
    labels: dict[Hashable, int] = {}
    for labelled in (*rows, *columns):
        for x in labelled:
            labels.setdefault(x, len(labels))

    def members(sets: Sequence[frozenset[Hashable]]) -> FloatArray:
        member = np.zeros((len(sets), len(labels)))
        for row, labelled in enumerate(sets):
            member[row, [labels[x] for x in labelled]] = 1.0
        return member

    member_a, member_b = members(rows), members(columns)
    size_a, size_b = member_a.sum(axis=1)[:, None], member_b.sum(axis=1)[None, :]
    shared = member_a @ member_b.T
    union = size_a + size_b - shared
    jaccard = np.divide(shared, union, out=np.ones_like(union), where=union > 0)
    if distance == "jaccard":
        jaccard_distance: FloatArray = 1.0 - jaccard
        return jaccard_distance
    if distance == "masi":
        equal = (shared == size_a) & (shared == size_b)
        nested = (shared == size_a) | (shared == size_b)
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


def distance_alpha(
    item: npt.ArrayLike, value: Sequence[Hashable], distance: CrossDistance
) -> float:
    """Krippendorff's alpha for hashable values compared by any distance ``d`` (``d(v, v) = 0``).

    Krippendorff (2011, p. 4; 2004, ch. 11) defines alpha for any difference function. With
    *pairable* units u (``m_u >= 2`` ratings) and ``n`` the number of ratings in them:

        D_o = (1 / n) * sum_u (1 / (m_u - 1)) * sum_{i != j in u} d(v_ui, v_uj)
        D_e = (1 / (n (n - 1))) * sum_{i != j among all n pairable ratings} d(v_i, v_j)
        alpha = 1 - D_o / D_e

    D_o is the mean within-unit pairwise distance (each rating's ``m_u - 1`` partners share a
    weight of 1, so every pairable rating counts equally; with the same number of ratings per
    unit it is the plain mean over within-unit pairs), D_e the mean distance over all pairs of
    pairable ratings, i.e. what D_o would be if the values were shuffled across units. This is
    the coincidence-matrix formula of `alpha` with ``d`` as the metric: with the nominal or
    interval distance it equals `krippendorff_alpha`, with Jaccard or MASI `set_alpha`.

    ``distance(a, b)`` gets two lists of distinct values and returns their len(a) x len(b)
    distance matrix (vectorise it: it is called on row blocks of the value domain, so memory is
    O(block x V) and there is no cap on the number V of distinct values; time is O(V^2)).
    The diagonal is taken as 0. NaN when nothing is pairable or ``D_e = 0``.
    """
    from scipy import sparse

    items = as_column("item", item)
    if len(value) != items.size:
        raise ValidationFailed(
            f"value has {len(value)} rows but item has {items.size}",
            code="agreement_length_mismatch",
            field="value",
        )
    if items.size == 0:
        return float("nan")
    domain: dict[Hashable, int] = {}
    codes = np.fromiter(
        (domain.setdefault(v, len(domain)) for v in value), dtype=np.intp, count=len(value)
    )
    units, n_units = unit_codes(items)
    per_unit = np.bincount(units, minlength=n_units)
    pairable = per_unit[units] >= 2
    if not pairable.any():
        return float("nan")
    units = units[pairable]
    present, codes = np.unique(codes[pairable], return_inverse=True)
    codes = codes.reshape(-1)
    everything = list(domain)
    values = [everything[c] for c in present]
    n_values = len(values)
    shape = (n_units, n_values)
    counts = sparse.csr_matrix((np.ones(units.size), (units, codes)), shape=shape)
    weighted = sparse.csr_matrix((1.0 / (per_unit[units] - 1.0), (units, codes)), shape=shape)
    # o[c, k] = sum_u n[u, c] n[u, k] / (m_u - 1); its diagonal meets d(c, c) = 0.
    coincident = (counts.T @ weighted).tocsr()
    marginals = np.bincount(codes, minlength=n_values).astype(np.float64)
    n = float(marginals.sum())
    observed = expected = 0.0
    block = max(1, _BLOCK_CELLS // n_values)
    for start in range(0, n_values, block):
        stop = min(start + block, n_values)
        d = np.array(distance(values[start:stop], values), dtype=np.float64)
        d[np.arange(stop - start), np.arange(start, stop)] = 0.0
        expected += float(marginals[start:stop] @ d @ marginals)
        observed += float(coincident[start:stop].multiply(d).sum())
    if expected <= 0.0:
        return float("nan")
    return float(1.0 - (n - 1.0) * observed / expected)
