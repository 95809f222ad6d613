"""Percent agreement, Fleiss' kappa and pairwise Cohen's kappa from long-format ratings.

All three treat values as unordered categories (exact equality). Notation: ``n[u, c]`` is the
number of ratings of item u with category c and ``m_u = sum_c n[u, c]``; an item is
*pairable* when ``m_u >= 2``.

Undefined results are NaN, never an exception: no pairable item, or chance agreement of 1
(every rating in the same single category). Structural errors raise ValidationFailed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from labelcrew.domain.quality.agreement.data import (
    FloatArray,
    UnitValueTable,
    as_column,
    compact_codes,
    unit_codes,
    value_codes,
)
from labelcrew.errors import ValidationFailed


def _table(item: npt.ArrayLike, value: npt.ArrayLike) -> UnitValueTable | None:
    items = as_column("item", item)
    values = as_column("value", value, items.size)
    if items.size == 0:
        return None
    units, n_units = unit_codes(items)
    codes, domain = value_codes(values)
    return UnitValueTable(units, n_units, codes, len(domain))


def _observed_agreement(table: UnitValueTable) -> float:
    """Mean over pairable items of ``P_u = sum_c n[u,c] (n[u,c] - 1) / (m_u (m_u - 1))``."""
    m = table.per_unit
    pairable = m >= 2
    if not pairable.any():
        return float("nan")
    agreeing_pairs = table.squares_per_unit()[pairable] - m[pairable]
    return float(np.mean(agreeing_pairs / (m[pairable] * (m[pairable] - 1.0))))


def percent_agreement(item: npt.ArrayLike, value: npt.ArrayLike) -> float:
    """Pairwise percent agreement over items with at least two ratings.

    For each pairable item, the share of agreeing pairs among all pairs of its ratings,
    ``P_u = sum_c n[u,c] (n[u,c] - 1) / (m_u (m_u - 1))``, averaged over pairable items with
    equal weight per item. This is the observed agreement ``P-bar`` of Fleiss (1971), eq. 2-3.
    NaN when no item has two ratings.
    """
    table = _table(item, value)
    return float("nan") if table is None else _observed_agreement(table)


def fleiss_kappa(item: npt.ArrayLike, value: npt.ArrayLike) -> float:
    """Fleiss' kappa, generalised to a varying number of raters per item.

    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. *Psychological
    Bulletin* 76(5), 378-382. For items with different numbers of ratings we use the
    generalisation in Gwet, K. L. (2014), *Handbook of Inter-Rater Reliability*, 4th ed.
    (the "Fleiss' generalized kappa" of the irrCAC package):

        p_a   = mean over items with m_u >= 2 of  sum_c n[u,c] (n[u,c] - 1) / (m_u (m_u - 1))
        pi_c  = mean over items with m_u >= 1 of  n[u,c] / m_u
        p_e   = sum_c pi_c^2
        kappa = (p_a - p_e) / (1 - p_e)

    With the same number of ratings on every item this is exactly Fleiss (1971). NaN when no
    item has two ratings or ``p_e = 1``.
    """
    table = _table(item, value)
    return float("nan") if table is None else _fleiss(table)


def fleiss_kappa_table(counts: npt.ArrayLike) -> float:
    """Fleiss' kappa of an items x categories table of counts (same formula as `fleiss_kappa`)."""
    table = np.asarray(counts, dtype=np.float64)
    if table.ndim != 2 or (table < 0).any() or not np.isfinite(table).all():
        raise ValidationFailed(
            "counts must be a 2-d table of non-negative counts (items x categories)",
            code="agreement_bad_counts",
            field="counts",
        )
    rows, cols = np.nonzero(table)
    units = np.repeat(rows, table[rows, cols].astype(np.intp))
    values = np.repeat(cols, table[rows, cols].astype(np.intp))
    if units.size == 0:
        return float("nan")
    return _fleiss(UnitValueTable(units, table.shape[0], values, table.shape[1]))


def _fleiss(table: UnitValueTable) -> float:
    m = table.per_unit
    rated = m >= 1
    inverse = np.zeros_like(m)
    inverse[rated] = 1.0 / m[rated]
    pi = table.weighted_value_sums(inverse) / rated.sum()
    p_e = float(pi @ pi)
    p_a = _observed_agreement(table)
    if np.isnan(p_a) or p_e >= 1.0 - 1e-12:
        return float("nan")
    return (p_a - p_e) / (1.0 - p_e)


@dataclass(frozen=True)
class PairwiseKappa:
    """Cohen's kappa for every pair of raters.

    ``kappa[a, b]`` and ``n_shared[a, b]`` are indexed by rater code; ``raters[a]`` is the
    rater's label. The matrices are symmetric; the diagonal of ``kappa`` is NaN and that of
    ``n_shared`` is the number of items each rater rated.
    """

    raters: npt.NDArray[Any]
    kappa: FloatArray
    n_shared: npt.NDArray[np.int64]

    def pairs(self, min_shared: int = 1) -> list[dict[str, Any]]:
        """One record ``{rater_a, rater_b, kappa, n_shared}`` per pair with enough shared items.

        Undefined kappas are None, so the records are JSON-ready.
        """
        first, second = np.triu_indices(len(self.raters), k=1)
        keep = self.n_shared[first, second] >= min_shared
        records = []
        for a, b in zip(first[keep].tolist(), second[keep].tolist(), strict=True):
            kappa = float(self.kappa[a, b])
            records.append(
                {
                    "rater_a": _plain(self.raters[a]),
                    "rater_b": _plain(self.raters[b]),
                    "kappa": None if np.isnan(kappa) else kappa,
                    "n_shared": int(self.n_shared[a, b]),
                }
            )
        return records


def cohen_kappa_pairwise(
    item: npt.ArrayLike, rater: npt.ArrayLike, value: npt.ArrayLike
) -> PairwiseKappa:
    """Cohen's kappa for every pair of raters, over the items both rated.

    Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
    Psychological Measurement* 20(1), 37-46. For raters a and b over their shared items S_ab:

        p_o   = (1 / |S_ab|) * #{u in S_ab : a and b gave the same category}
        p_e   = sum_c (s_a(c) / |S_ab|) * (s_b(c) / |S_ab|)
        kappa = (p_o - p_e) / (1 - p_e)

    where s_a(c) counts the items of S_ab that a put in category c (marginals over the shared
    items only, as `sklearn.metrics.cohen_kappa_score` does on the paired ratings).

    All pairs come out of a few sparse products: with ``P`` the items x raters "has rated"
    matrix and ``X_c`` the items x raters "rated c" matrix, ``|S| = P'P``, agreements
    ``= sum_c X_c' X_c`` and ``s(c) = X_c' P``; the cost is ``O(sum_u m_u^2)`` per category
    and memory O(raters^2 x categories), which serves a few hundred raters.

    Pairs with fewer than 2 shared items, or with ``p_e = 1`` (both used one same category
    throughout), get NaN. A rater who rated an item twice raises ValidationFailed.
    """
    from scipy import sparse

    items = as_column("item", item)
    raters_col = as_column("rater", rater, items.size)
    values = as_column("value", value, items.size)
    rater_codes, raters = compact_codes(raters_col)
    n_raters = len(raters)
    if items.size == 0:
        empty = np.zeros((0, 0))
        return PairwiseKappa(raters, empty, empty.astype(np.int64))
    units, n_units = unit_codes(items)
    codes, domain = compact_codes(values)

    def indicator(rows: npt.NDArray[np.bool_] | slice) -> Any:
        ones = np.ones(units[rows].size, dtype=np.float32)
        shape = (n_units, n_raters)
        return sparse.csr_matrix((ones, (units[rows], rater_codes[rows])), shape=shape)

    rated = indicator(slice(None))
    if rated.nnz and rated.data.max() > 1:  # the CSR build summed a repeated (item, rater)
        unit, rater_code = (int(i[0]) for i in sparse.find(rated > 1)[:2])
        raise ValidationFailed(
            f"rater {_plain(raters[rater_code])!r} rated item code {unit} more than once",
            code="agreement_duplicate_rating",
            field="rater",
        )
    by_category = [indicator(codes == category) for category in range(len(domain))]
    products = (
        _dense_products if items.size > _DENSE_SHARE * n_units * n_raters else _sparse_products
    )
    shared, agreements, chance = products(rated, by_category)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_o = agreements / shared
        p_e = chance / shared**2
        kappa = (p_o - p_e) / (1.0 - p_e)
    kappa[(shared < 2) | (p_e >= 1.0 - 1e-12)] = np.nan
    np.fill_diagonal(kappa, np.nan)
    return PairwiseKappa(raters, kappa, np.rint(shared).astype(np.int64))


# Above this share of filled item x rater cells, dense BLAS products on row blocks beat sparse
# products (dense-ish designs such as every rater on every item).
_DENSE_SHARE = 0.05
_BLOCK_CELLS = 1 << 21


def _sparse_products(rated: Any, by_category: list[Any]) -> tuple[FloatArray, ...]:
    """``P'P``, ``sum_c X_c'X_c`` and ``sum_c (X_c'P) * (X_c'P)'`` as sparse products."""
    shared = np.asarray((rated.T @ rated).toarray(), dtype=np.float64)
    agreements = np.zeros_like(shared)
    chance = np.zeros_like(shared)
    for rated_c in by_category:
        agreements += (rated_c.T @ rated_c).toarray()
        said = np.asarray((rated_c.T @ rated).toarray(), dtype=np.float64)
        chance += said * said.T  # said[a, b]: items shared by a and b that a put in c
    return shared, agreements, chance


def _dense_products(rated: Any, by_category: list[Any]) -> tuple[FloatArray, ...]:
    """The same three matrices, accumulated over dense row blocks with BLAS."""
    n_units, n_raters = rated.shape
    block = max(1, _BLOCK_CELLS // max(n_raters, 1))
    shared = np.zeros((n_raters, n_raters))
    agreements = np.zeros_like(shared)
    said = np.zeros((len(by_category), n_raters, n_raters))
    for start in range(0, n_units, block):
        rows = slice(start, start + block)
        p = rated[rows].toarray()
        shared += p.T @ p
        for c, rated_c in enumerate(by_category):
            x = rated_c[rows].toarray()
            agreements += x.T @ x
            said[c] += x.T @ p
    chance = np.einsum("cab,cba->ab", said, said)
    return shared, agreements, chance


def _plain(label: Any) -> Any:
    return label.item() if isinstance(label, np.generic) else label
