"""Long-format rating data for the agreement metrics.

Every agreement metric takes ratings in *long format*: equal-length arrays ``item``, ``rater``
and ``value`` with one row per rating. A missing rating is simply an absent row: there is no
NaN placeholder and no raters x items matrix, so memory follows the number of ratings and the
number of distinct (item, value) cells, never raters x items.

Values are integer codes or floats. String labels are turned into codes with `factorize`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from labelcrew.errors import ValidationFailed

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]

# An integer column whose range is at most this wide is used as codes directly (value - min),
# which avoids an O(N log N) sort; wider ranges are compacted with np.unique.
_DIRECT_VALUE_SPAN = 4096
# Rows are binned in chunks of this size so temporaries stay small whatever N is.
_CHUNK_ROWS = 1 << 20


def factorize(
    labels: Sequence[Any] | npt.ArrayLike, order: Sequence[Any] | None = None
) -> tuple[IntArray, npt.NDArray[Any]]:
    """Turn labels (strings, numbers) into integer codes ``0..K-1``.

    Returns ``(codes, categories)`` with ``categories[codes] == labels``. Categories are sorted
    unless ``order`` gives them explicitly (needed for ordinal string labels such as
    "low" < "mid" < "high"); a label missing from ``order`` raises ValidationFailed.
    """
    array = np.asarray(labels)
    if order is None:
        categories, codes = np.unique(array, return_inverse=True)
        return codes.reshape(-1).astype(np.intp, copy=False), categories
    categories = np.asarray(list(order))
    lookup = {label: code for code, label in enumerate(categories.tolist())}
    if len(lookup) != len(categories):
        raise ValidationFailed(
            "order lists a category twice", code="agreement_bad_order", field="order"
        )
    codes = np.empty(array.size, dtype=np.intp)
    for row, label in enumerate(array.reshape(-1).tolist()):
        code = lookup.get(label)
        if code is None:
            raise ValidationFailed(
                f"label {label!r} at row {row} is not in the given order",
                code="agreement_unknown_label",
                field="value",
            )
        codes[row] = code
    return codes, categories


def as_column(name: str, values: npt.ArrayLike, length: int | None = None) -> npt.NDArray[Any]:
    """Return one long-format column as a 1-d array, checking its length (and finiteness)."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValidationFailed(
            f"{name} must be one-dimensional, got shape {array.shape}",
            code="agreement_bad_shape",
            field=name,
        )
    if length is not None and array.size != length:
        raise ValidationFailed(
            f"{name} has {array.size} rows but item has {length}",
            code="agreement_length_mismatch",
            field=name,
        )
    if array.dtype.kind == "f" and array.size and not np.isfinite(array).all():
        row = int(np.flatnonzero(~np.isfinite(array))[0])
        raise ValidationFailed(
            f"{name} row {row} is not finite; a missing rating is an absent row, not NaN",
            code="agreement_not_finite",
            field=name,
        )
    return array


def codes_of(values: npt.NDArray[Any], *, max_span: int) -> tuple[IntArray, npt.NDArray[Any]]:
    """Codes ``0..K-1`` and the values they stand for (sorted ascending).

    Integer arrays whose range is at most ``max_span`` wide are coded as ``value - min`` in
    linear time; the returned domain then is the whole range, and values that never occur
    simply have a zero count wherever the codes are binned. Other arrays go through np.unique.
    """
    if values.size and values.dtype.kind in "iub":
        low, high = int(values.min()), int(values.max())
        if high - low < max_span:
            # No copy when the column already is intp and starts at 0 (the common case).
            codes = values.astype(np.intp, copy=False)
            if low:
                codes = codes - low
            return codes, np.arange(low, high + 1)
    domain, codes = np.unique(values, return_inverse=True)
    return codes.reshape(-1).astype(np.intp, copy=False), domain


def unit_codes(item: npt.NDArray[Any]) -> tuple[IntArray, int]:
    """Dense unit codes for the item column and the number of codes (gaps allowed)."""
    codes, domain = codes_of(item, max_span=max(2 * item.size, _DIRECT_VALUE_SPAN))
    return codes, len(domain)


def value_codes(value: npt.NDArray[Any]) -> tuple[IntArray, npt.NDArray[Any]]:
    """Codes of the value column and the value domain they index."""
    return codes_of(value, max_span=_DIRECT_VALUE_SPAN)


def unit_value_counts(units: IntArray, n_units: int, values: IntArray, n_values: int) -> FloatArray:
    """The units x values count matrix ``n[u, c]``: how many ratings of unit u have value c.

    Built with np.bincount over ``u * V + c`` in row chunks, so the only large allocation is
    the U x V result itself.
    """
    cells = n_units * n_values
    counts = np.zeros(cells, dtype=np.intp)
    for start in range(0, units.size, _CHUNK_ROWS):
        key = units[start : start + _CHUNK_ROWS] * n_values
        key += values[start : start + _CHUNK_ROWS]
        counts += np.bincount(key, minlength=cells)
    return counts.reshape(n_units, n_values).astype(np.float64)


def compact_codes(values: npt.NDArray[Any]) -> tuple[IntArray, npt.NDArray[Any]]:
    """Codes ``0..K-1`` over the values that occur (no gaps) and those values, sorted."""
    codes, domain = codes_of(values, max_span=max(2 * values.size, _DIRECT_VALUE_SPAN))
    if values.size and values.dtype.kind in "iub":
        present = np.bincount(codes, minlength=len(domain)) > 0
        if not present.all():
            remap = np.cumsum(present) - 1
            return remap[codes], domain[present]
    return codes, domain


# Above this many unit x value cells the count table is kept sparse (scipy CSR) instead of
# dense, so that many items with many distinct values do not allocate U x V floats.
_DENSE_CELLS = 1 << 23


class UnitValueTable:
    """The counts ``n[u, c]`` of value c among the ratings of unit u, dense or sparse.

    Only the few reductions the metrics need are exposed, so callers do not care which
    representation was chosen.
    """

    def __init__(self, units: IntArray, n_units: int, values: IntArray, n_values: int) -> None:
        self.n_units = n_units
        self.n_values = n_values
        self._dense: FloatArray | None = None
        self._sparse: Any = None
        if n_units * n_values <= _DENSE_CELLS:
            self._dense = unit_value_counts(units, n_units, values, n_values)
            self.per_unit: FloatArray = self._dense.sum(axis=1)
        else:
            from scipy import sparse

            ones = np.ones(units.size, dtype=np.float64)
            self._sparse = sparse.csr_matrix((ones, (units, values)), shape=(n_units, n_values))
            self.per_unit = np.bincount(units, minlength=n_units).astype(np.float64)

    def squares_per_unit(self) -> FloatArray:
        """``sum_c n[u, c]^2`` for every unit u."""
        if self._dense is not None:
            squares: FloatArray = np.einsum("uc,uc->u", self._dense, self._dense)
            return squares
        return np.asarray(self._sparse.multiply(self._sparse).sum(axis=1)).ravel()

    def weighted_value_sums(self, weights: FloatArray) -> FloatArray:
        """``sum_u weights[u] * n[u, c]`` for every value c."""
        if self._dense is not None:
            return weights @ self._dense
        return np.asarray(self._sparse.T @ weights).ravel()

    def weighted_cross(self, weights: FloatArray) -> FloatArray:
        """The V x V matrix ``sum_u weights[u] * n[u, c] * n[u, k]``."""
        if self._dense is not None:
            return (self._dense * weights[:, None]).T @ self._dense
        from scipy import sparse

        weighted = sparse.diags(weights) @ self._sparse
        return np.asarray((self._sparse.T @ weighted).toarray())
