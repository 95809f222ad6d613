"""Krippendorff's alpha from long-format ratings.

Krippendorff, K. (2011). *Computing Krippendorff's Alpha-Reliability*. Annenberg School for
Communication, University of Pennsylvania. Krippendorff, K. (2004). *Content Analysis: An
Introduction to Its Methodology*, 2nd ed., ch. 11.

With ``n[u, c]`` the number of ratings of unit u with value c and ``m_u = sum_c n[u, c]``,
only *pairable* units (``m_u >= 2``) count. The coincidence matrix is

    o[c, k] = sum_u (n[u, c] * n[u, k] - [c = k] * n[u, c]) / (m_u - 1)

with marginals ``n_c = sum_k o[c, k]`` and ``n = sum_c n_c``, and

    alpha = 1 - D_o / D_e = 1 - (n - 1) * sum_ck o[c, k] d(c, k) / sum_ck n_c n_k d(c, k)

for a distance ``d`` given by the level of measurement (Krippendorff 2011, pp. 5-8):

- nominal:  d = [c != k]
- ordinal:  d = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2, which equals the squared difference of
            the mid-ranks ``r_c = sum_{g<c} n_g + n_c / 2``
- interval: d = (v_c - v_k)^2
- ratio:    d = ((v_c - v_k) / (v_c + v_k))^2  (0 where v_c + v_k = 0)

The count table ``n[u, c]`` is built with np.bincount straight from the long format, so memory
grows with units x distinct values, never with raters x units. Alpha does not need to know
who rated: it is a function of the multiset of values in each unit.

Undefined cases return NaN (never raise): no input, no pairable unit, or no variation among
the pairable values (``D_e = 0``, e.g. every rater gave the same value everywhere; Krippendorff
calls alpha undefined there). Structural errors (length mismatch, NaN in a value, a negative
value at ratio level, too many distinct values) raise ValidationFailed.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from labelcrew.domain.quality.agreement.data import (
    FloatArray,
    UnitValueTable,
    as_column,
    unit_codes,
    value_codes,
)
from labelcrew.errors import ValidationFailed

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")

# The V x V distance and coincidence matrices are dense; past this many distinct values they
# would not fit comfortably, and the caller should bin or round the values first.
MAX_VALUES = 4096


def coincidences(table: UnitValueTable) -> FloatArray:
    """The coincidence matrix ``o`` (V x V) of Krippendorff (2011, p. 2) from a count table."""
    pairable = table.per_unit >= 2
    weights = np.zeros_like(table.per_unit)
    weights[pairable] = 1.0 / (table.per_unit[pairable] - 1.0)
    o = table.weighted_cross(weights)
    o[np.diag_indices_from(o)] -= table.weighted_value_sums(weights)
    return o


def distances(level: str, domain: npt.NDArray[Any], marginals: FloatArray) -> FloatArray:
    """The V x V distance matrix ``d(c, k)`` of one level of measurement (see module doc)."""
    if level == "nominal":
        return 1.0 - np.eye(len(domain))
    if level == "ordinal":
        mid_ranks = np.cumsum(marginals) - marginals / 2.0
        return np.subtract.outer(mid_ranks, mid_ranks) ** 2
    values = np.asarray(domain, dtype=np.float64)
    if level == "interval":
        return np.subtract.outer(values, values) ** 2
    if level == "ratio":
        total = np.add.outer(values, values)
        ratio = np.divide(
            np.subtract.outer(values, values),
            total,
            out=np.zeros_like(total),
            where=total != 0,
        )
        return ratio**2
    raise ValidationFailed(
        f"level must be one of {', '.join(LEVELS)}, got {level!r}",
        code="agreement_bad_level",
        field="level",
    )


def alpha_from_coincidences(o: FloatArray, d: FloatArray) -> float:
    """``alpha = 1 - (n - 1) * sum(o * d) / sum(n_c * n_k * d)``; NaN when undefined."""
    marginals = o.sum(axis=0)
    n = marginals.sum()
    if n <= 1:
        return float("nan")
    expected = float(marginals @ d @ marginals)
    if expected <= 0.0:
        return float("nan")
    return float(1.0 - (n - 1.0) * float((o * d).sum()) / expected)


def krippendorff_alpha(
    item: npt.ArrayLike, value: npt.ArrayLike, level: Level | str = "nominal"
) -> float:
    """Krippendorff's alpha of long-format ratings (one row per rating).

    ``item`` identifies the unit of each rating, ``value`` is the rating (integer code or
    float; ordinal data must be coded so that the numeric order is the category order).
    Missing ratings are absent rows. Returns NaN where alpha is undefined (module doc).
    """
    items = as_column("item", item)
    values = as_column("value", value, items.size)
    if level not in LEVELS:
        distances(level, np.empty(0), np.empty(0))  # raises the typed error
    if items.size == 0:
        return float("nan")
    if level == "ratio" and values.dtype.kind in "iuf" and values.min() < 0:
        raise ValidationFailed(
            "ratio-level values must be non-negative",
            code="agreement_negative_ratio",
            field="value",
        )
    if level != "nominal" and values.dtype.kind not in "iufb":
        raise ValidationFailed(
            f"{level} alpha needs numeric values; factorize ordered labels to codes first",
            code="agreement_not_numeric",
            field="value",
        )
    units, n_units = unit_codes(items)
    codes, domain = value_codes(values)
    check_domain_size(len(domain))
    o = coincidences(UnitValueTable(units, n_units, codes, len(domain)))
    return alpha_from_coincidences(o, distances(level, domain, o.sum(axis=0)))


def check_domain_size(n_values: int) -> None:
    """Refuse value domains too large for the dense V x V matrices."""
    if n_values > MAX_VALUES:
        raise ValidationFailed(
            f"{n_values} distinct values exceed the {MAX_VALUES} the coincidence matrix allows; "
            "round or bin the values first",
            code="agreement_too_many_values",
            field="value",
        )


def per_label_alpha(item: npt.ArrayLike, value: npt.ArrayLike) -> dict[Any, float]:
    """One-vs-rest nominal alpha for every category that occurs among pairable ratings.

    Recoding the data as "c" versus "not c" collapses the coincidence matrix to 2 x 2 with
    ``o[c, not c] = n_c - o[c, c]``, so (Krippendorff 2011, nominal alpha on binary data)

        alpha_c = 1 - (n - 1) * (n_c - o[c, c]) / (n_c * (n - n_c))

    A category that every pairable rating uses, or none does, gets NaN.
    """
    items = as_column("item", item)
    values = as_column("value", value, items.size)
    if items.size == 0:
        return {}
    units, n_units = unit_codes(items)
    codes, domain = value_codes(values)
    check_domain_size(len(domain))
    o = coincidences(UnitValueTable(units, n_units, codes, len(domain)))
    n_c = o.sum(axis=0)
    n = n_c.sum()
    denominator = n_c * (n - n_c)
    with np.errstate(invalid="ignore", divide="ignore"):
        alphas = 1.0 - (n - 1.0) * (n_c - np.diag(o)) / denominator
    alphas[denominator <= 0] = np.nan
    return {_plain(domain[c]): float(alphas[c]) for c in np.flatnonzero(n_c > 0)}


def _plain(label: Any) -> Any:
    """A NumPy scalar as the matching Python scalar (for dict keys and JSON)."""
    return label.item() if isinstance(label, np.generic) else label
