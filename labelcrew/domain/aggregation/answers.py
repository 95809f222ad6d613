r"""The answers regrouped once per fit, so that each EM step is a few whole-array NumPy calls.

Items are put in *rank* order: by number of answers, most first (stable, so with equal
counts, as in a fixed-overlap design, ranks are the item codes and nothing moves). The items
with more than *j* answers are then exactly the first ranks, and ``columns[j]`` holds, for
each of them, the cell (worker x K + label) of its *j*-th answer: a ragged items x answers
table stored by columns. ``counts`` is the same answers as a sparse ranks x cells matrix.

- E-step (`AnswerLayout.posteriors`) works in probability space, one class at a time:
  :math:`T_{ic} \propto p_c \prod_j \pi_{c}[\mathrm{cell}_{ij}]` is, per class, a ``take``
  from a K x cells table per answer column and an in-place product, on contiguous arrays.
  There is no ``exp`` over the items x K array (the costliest call of a log-space E-step),
  and no short-axis reduction.
- M-step (`AnswerLayout.expected_counts`): :math:`C = S^\top T`, one sparse x dense product.

Products of probabilities can underflow where log sums cannot, so every ``block`` answer
columns the running products are divided by their row sums and the log of those sums is
kept; ``block`` is chosen from the smallest probability in play so that the leading class of
a row stays a normal float64 (above :math:`e^{-650}`) between two rescalings. No row of the
data sets here (at most 10 answers per item) needs one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from labelcrew.domain.aggregation.votes import BoolArray, FloatArray, IntArray

# A product of probabilities kept above exp(-650) (about 5e-283) is a normal float64 number.
_LOG_RANGE = 650.0
# Ranks per E-step block: K x _CHUNK float64 plus the block's cells fit in a core's L2 cache.
_CHUNK = 16384


@dataclass(frozen=True)
class AnswerLayout:
    """Long-format answers as a ragged ranks x answers table of cells (see module docstring)."""

    n_items: int
    n_classes: int
    # rank[item] is the item's row in every rank-ordered array; None when ranks are item codes.
    rank: IntArray | None
    # answers_per_rank[r]: how many answers the item at rank r has (non-increasing).
    answers_per_rank: IntArray
    # columns[j][r]: cell of the j-th answer (in input row order) of the item at rank r.
    columns: tuple[IntArray, ...]
    # Ranks x cells CSR matrix, one entry per answer (duplicates add up).
    counts: Any
    # Cells (worker x K + label) that occur at least once.
    observed: BoolArray

    @classmethod
    def build(
        cls, item: IntArray, cells: IntArray, n_items: int, n_cells: int, n_classes: int
    ) -> AnswerLayout:
        """Group the answers by item, most-answered items first; O(N) unless rows need sorting."""
        per_item = np.bincount(item, minlength=n_items)
        rank: IntArray | None = None
        row_rank = item
        if n_items > 1 and (per_item[1:] > per_item[:-1]).any():
            order = np.argsort(-per_item, kind="stable")
            rank = np.empty(n_items, dtype=np.intp)
            rank[order] = np.arange(n_items)
            per_item = per_item[order]
            row_rank = rank[item]
        # Input is usually already grouped by item (a CSV per item, a generated design): no sort.
        if len(row_rank) > 1 and (row_rank[1:] < row_rank[:-1]).any():
            by_rank = np.argsort(row_rank, kind="stable")
            cells = cells[by_rank]
        starts = np.zeros(n_items + 1, dtype=np.intp)
        np.cumsum(per_item, out=starts[1:])
        depth = int(per_item[0]) if n_items else 0
        # Ranks with more than j answers: per_item is non-increasing, so search its negation.
        widths = np.searchsorted(-per_item, -np.arange(depth), side="left")
        columns = tuple(cells[starts[:width] + j] for j, width in enumerate(widths.tolist()))
        counts = sparse.csr_matrix(
            (np.ones(len(cells)), cells, starts), shape=(n_items, n_cells), copy=False
        )
        observed = np.bincount(cells, minlength=n_cells) > 0
        return cls(n_items, n_classes, rank, per_item, columns, counts, observed)

    def to_ranks(self, values: Any) -> Any:
        """Rows of an item-ordered array in rank order."""
        if self.rank is None:
            return values
        ranked = np.empty_like(values)
        ranked[self.rank] = values
        return ranked

    def to_items(self, values: Any) -> Any:
        """Rows of a rank-ordered array in item order."""
        return values if self.rank is None else values[self.rank]

    def expected_counts(self, posteriors: FloatArray) -> FloatArray:
        r"""M-step statistics :math:`C_{(w,k),c} = \sum_{i: y_{iw}=k} T_{ic}` (cells x K).

        ``posteriors`` is ranks x K, C-contiguous: the product walks it row by row.
        """
        return np.asarray(self.counts.T @ posteriors)

    def posteriors(
        self, model: FloatArray, priors: FloatArray, out: FloatArray
    ) -> tuple[float, FloatArray]:
        r"""E-step: ``out`` (ranks x K) becomes T; returns :math:`\sum_i \log Z_i` and :math:`\sum_i T_i`.

        ``model`` is K x cells, :math:`\pi_c[(w,k)] = P(y_{iw} = k \mid z_i = c)`; entries of
        cells that never occur are not read. :math:`Z_i = \sum_c p_c \prod_j
        \pi_c[\mathrm{cell}_{ij}]` is the evidence of item *i* (1 for an item without answers).
        The ranks are done in blocks of `_CHUNK`, class-major inside a block, so that the
        per-class products, sums and logs all run on arrays that stay in cache.
        """
        n_k = self.n_classes
        observed = model[:, self.observed]
        floor = float(min(observed.min(), priors.min())) if observed.size else 1.0
        # Answer columns between two rescalings: the leading class stays above exp(-_LOG_RANGE).
        every = len(self.columns) + 1
        if 0 < floor < 1:
            every = max(1, int(_LOG_RANGE / -np.log(floor)) - 1)
        first = model * priors[:, None]
        block = np.empty((n_k, min(_CHUNK, self.n_items)))
        part = np.empty(block.shape[1])
        log_evidence = 0.0
        class_totals = np.zeros(n_k)
        answered = len(self.columns[0]) if self.columns else 0
        for start in range(0, self.n_items, _CHUNK):
            stop = min(start + _CHUNK, self.n_items)
            joint = block[:, : stop - start]
            # Ranks without answers keep the prior (the first answer column overwrites the rest).
            joint[:, max(0, min(answered, stop) - start) :] = priors[:, None]
            for j, column in enumerate(self.columns):
                width = min(len(column), stop) - start
                if width <= 0:
                    break
                cells = column[start : start + width]
                table = first if j == 0 else model
                for c in range(n_k):
                    if j == 0:
                        np.take(table[c], cells, out=joint[c, :width], mode="clip")
                    else:
                        np.take(table[c], cells, out=part[:width], mode="clip")
                        joint[c, :width] *= part[:width]
                if (j + 1) % every == 0 and j + 1 < len(self.columns):
                    totals = joint[:, :width].sum(axis=0)
                    joint[:, :width] /= totals
                    log_evidence += float(np.log(totals).sum())
            totals = joint.sum(axis=0)
            log_evidence += float(np.log(totals).sum())
            np.divide(1.0, totals, out=totals)
            joint *= totals
            class_totals += joint.sum(axis=1)
            out[start:stop] = joint.T
        return log_evidence, class_totals
