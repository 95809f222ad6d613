"""Long-format crowd answers and the vote-counting aggregators.

Every aggregator takes answers in *long format*: equal-length integer arrays ``item``,
``worker`` and ``label`` with one row per answer, codes ``0..n-1`` in each column. String
columns (a CSV's question, worker and answer) become codes with `encode_answers`, and the
codes map back through its ``*_ids`` arrays.

The estimator API follows crowd-kit: ``fit(item, worker, label, ...)`` returns the estimator,
which then holds ``probas_`` (items x K posterior, rows sum to 1), ``labels_`` (argmax of each
row), ``confidence_`` (the row maximum) and ``ties_`` (the top score was shared).

Tie rule (every method): among labels sharing the highest score, the item takes the one it
**received first** (the earliest answer row naming one of them); an item without answers takes
the lowest code. This is the rule under which the survey data's documented majority-vote
accuracy holds (0.8166 on s_dog). crowd-kit instead orders tied labels by where they first
appear in the whole table, so the two may differ on tied items only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from labelcrew.errors import ValidationFailed

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class EncodedAnswers:
    """Answers as integer codes plus the original ids of each code (``item_ids[item[r]]``...)."""

    item: IntArray
    worker: IntArray
    label: IntArray
    item_ids: npt.NDArray[Any]
    worker_ids: npt.NDArray[Any]
    label_ids: npt.NDArray[Any]

    @property
    def n_classes(self) -> int:
        return len(self.label_ids)


def encode_answers(
    items: npt.ArrayLike, workers: npt.ArrayLike, labels: npt.ArrayLike
) -> EncodedAnswers:
    """Factorize three raw columns into sorted codes (``np.unique`` order, so ids stay sorted)."""
    columns = [np.asarray(column) for column in (items, workers, labels)]
    lengths = {column.shape for column in columns}
    if len(lengths) != 1 or columns[0].ndim != 1:
        raise ValidationFailed(
            f"item, worker and label must be 1-d and of equal length, got shapes {sorted(lengths)}",
            code="aggregation_length_mismatch",
            field="label",
        )
    coded = [np.unique(column, return_inverse=True) for column in columns]
    (item_ids, item), (worker_ids, worker), (label_ids, label) = coded
    return EncodedAnswers(
        item=item.reshape(-1).astype(np.intp),
        worker=worker.reshape(-1).astype(np.intp),
        label=label.reshape(-1).astype(np.intp),
        item_ids=item_ids,
        worker_ids=worker_ids,
        label_ids=label_ids,
    )


def encode_gold(
    answers: EncodedAnswers, gold_items: npt.ArrayLike, gold_labels: npt.ArrayLike
) -> tuple[IntArray, IntArray]:
    """Map raw gold (item id, label value) pairs onto the codes of ``answers``.

    Gold rows whose item has no answer are dropped (they cannot change any posterior); a gold
    label that no worker ever gave raises, because it has no code among the K classes.
    """
    raw_items = np.asarray(gold_items)
    raw_labels = np.asarray(gold_labels)
    item_pos = np.searchsorted(answers.item_ids, raw_items)
    item_pos = np.minimum(item_pos, len(answers.item_ids) - 1)
    known = answers.item_ids[item_pos] == raw_items
    label_pos = np.minimum(np.searchsorted(answers.label_ids, raw_labels), answers.n_classes - 1)
    bad = known & (answers.label_ids[label_pos] != raw_labels)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValidationFailed(
            f"gold label {raw_labels[row]!r} of item {raw_items[row]!r} is not among the answered labels",
            code="aggregation_unknown_gold_label",
            field="gold_label",
        )
    return item_pos[known].astype(np.intp), label_pos[known].astype(np.intp)


def check_answers(
    item: npt.ArrayLike,
    worker: npt.ArrayLike,
    label: npt.ArrayLike,
    n_items: int | None = None,
    n_classes: int | None = None,
) -> tuple[IntArray, IntArray, IntArray, int, int, int]:
    """Validate long-format codes; return them as intp arrays with (n_items, n_workers, K)."""
    arrays: list[IntArray] = []
    for name, values in (("item", item), ("worker", worker), ("label", label)):
        array = np.asarray(values)
        if array.ndim != 1:
            raise ValidationFailed(
                f"{name} must be one-dimensional, got shape {array.shape}",
                code="aggregation_bad_shape",
                field=name,
            )
        if array.size and array.dtype.kind not in "iub":
            raise ValidationFailed(
                f"{name} must hold integer codes, got dtype {array.dtype}; use encode_answers",
                code="aggregation_not_codes",
                field=name,
            )
        if array.size and int(array.min()) < 0:
            row = int(np.argmin(array))
            raise ValidationFailed(
                f"{name} code {int(array[row])} at row {row} is negative",
                code="aggregation_negative_code",
                field=name,
            )
        if arrays and array.size != arrays[0].size:
            raise ValidationFailed(
                f"{name} has {array.size} rows but item has {arrays[0].size}",
                code="aggregation_length_mismatch",
                field=name,
            )
        arrays.append(array.astype(np.intp, copy=False))
    item_a, worker_a, label_a = arrays

    def size(codes: IntArray, given: int | None, name: str) -> int:
        observed = int(codes.max()) + 1 if codes.size else 0
        if given is None:
            return observed
        if given < observed:
            raise ValidationFailed(
                f"{name} code {observed - 1} is out of range for {given} {name}s",
                code="aggregation_code_out_of_range",
                field=name,
            )
        return given

    n_i = size(item_a, n_items, "item")
    n_k = size(label_a, n_classes, "label")
    return item_a, worker_a, label_a, n_i, size(worker_a, None, "worker"), n_k


def break_ties(scores: FloatArray, item: IntArray, label: IntArray) -> tuple[IntArray, BoolArray]:
    """Row argmax of ``scores`` (items x K) with ties to the label the item received first.

    Returns ``(labels, ties)``; see `class_argmax`, which this runs on the transposed scores.
    """
    labels, _, ties = class_argmax(np.ascontiguousarray(scores.T), item, label)
    return labels, ties


def class_argmax(
    by_class: FloatArray, item: IntArray, label: IntArray
) -> tuple[IntArray, FloatArray, BoolArray]:
    """Best class per item of a K x items array, with ties to the label the item received first.

    Returns ``(labels, top, ties)``: the chosen label, the top score and whether it was shared.
    Only tied items are looked at again: among their answers (in row order) the first one
    naming a top-scoring label decides. One contiguous row per class keeps every call a long
    vector operation (an argmax along a short axis of items x K is many times slower).
    """
    n_k, n_items = by_class.shape
    if not by_class.size:
        return np.zeros(n_items, dtype=np.intp), np.zeros(n_items), np.zeros(n_items, dtype=bool)
    top = by_class.max(axis=0)
    # Where one class alone reaches the top, the sum of c * [T_c == top] is that class.
    code = np.min_scalar_type(n_k)
    summed = np.zeros(n_items, dtype=code)
    hits = np.zeros(n_items, dtype=code)
    is_top = np.empty(n_items, dtype=bool)
    for c in range(n_k):
        np.equal(by_class[c], top, out=is_top)
        hits += is_top
        if c:
            summed += code.type(c) * is_top
    labels = summed.astype(np.intp)
    ties = hits > 1
    if ties.any():
        tied = np.flatnonzero(ties)
        labels[tied] = np.argmax(by_class[:, tied] == top[tied], axis=0)
        rows = np.flatnonzero(ties[item])
        rows = rows[by_class[label[rows], item[rows]] == top[item[rows]]]
        _, first = np.unique(item[rows], return_index=True)
        labels[item[rows[first]]] = label[rows[first]]
    return labels, top, ties


def vote_table(
    item: IntArray, label: IntArray, n_items: int, n_classes: int, weights: FloatArray | None
) -> FloatArray:
    """Items x K table of (weighted) vote counts, one ``bincount`` over ``item * K + label``."""
    cells = np.bincount(item * n_classes + label, weights=weights, minlength=n_items * n_classes)
    return cells.reshape(n_items, n_classes).astype(np.float64)


class MajorityVote:
    r"""Majority vote: each item takes the label most workers gave.

    .. math:: \hat z_i = \arg\max_k \sum_{w} [y_{iw} = k], \qquad
              P(z_i = k) = \frac{\sum_w [y_{iw} = k]}{n_i}

    ``probas_`` is the vote share (what crowd-kit's MajorityVote reports), ``confidence_`` its
    maximum, and ``ties_`` flags items whose top share is shared by two or more labels; those
    take the label the item received first. Survey: Zheng et al., "Truth Inference in Crowdsourcing:
    Is the Problem Solved?", PVLDB 10(5), 2017.
    """

    def fit(
        self,
        item: npt.ArrayLike,
        worker: npt.ArrayLike,
        label: npt.ArrayLike,
        *,
        n_items: int | None = None,
        n_classes: int | None = None,
    ) -> MajorityVote:
        item_a, _, label_a, n_i, _, n_k = check_answers(item, worker, label, n_items, n_classes)
        _set_result(self, vote_table(item_a, label_a, n_i, n_k, None), item_a, label_a)
        return self


class WeightedMajorityVote:
    r"""Weighted majority vote: each worker's answer counts with the worker's weight.

    .. math:: s_{ik} = \sum_w v_w [y_{iw} = k], \qquad P(z_i = k) = s_{ik} / \sum_c s_{ic}

    Weights come from ``worker_weights`` (one non-negative number per worker code) or, when
    gold is given instead, from each worker's gold accuracy with Laplace's rule of succession,
    :math:`v_w = (\text{correct}_w + 1) / (\text{answered}_w + 2)`, so a worker without gold
    answers weighs 0.5. Ties go to the label the item received first. (Weighted voting is the "WMV"
    baseline of Zheng et al., PVLDB 2017.)
    """

    def fit(
        self,
        item: npt.ArrayLike,
        worker: npt.ArrayLike,
        label: npt.ArrayLike,
        *,
        worker_weights: npt.ArrayLike | None = None,
        gold_item: npt.ArrayLike | None = None,
        gold_label: npt.ArrayLike | None = None,
        n_items: int | None = None,
        n_classes: int | None = None,
    ) -> WeightedMajorityVote:
        item_a, worker_a, label_a, n_i, n_w, n_k = check_answers(
            item, worker, label, n_items, n_classes
        )
        if worker_weights is not None:
            weights = np.asarray(worker_weights, dtype=np.float64)
            if weights.ndim != 1 or weights.size < n_w or (weights < 0).any():
                raise ValidationFailed(
                    f"worker_weights needs {n_w} non-negative values, got shape {weights.shape}",
                    code="aggregation_bad_weights",
                    field="worker_weights",
                )
        elif gold_item is not None and gold_label is not None:
            truth = gold_truth(gold_item, gold_label, n_i, n_k)
            known = truth[item_a] >= 0
            correct = np.bincount(
                worker_a[known],
                weights=(label_a[known] == truth[item_a[known]]).astype(np.float64),
                minlength=n_w,
            )
            answered = np.bincount(worker_a[known], minlength=n_w)
            weights = (correct + 1.0) / (answered + 2.0)
        else:
            raise ValidationFailed(
                "weighted majority vote needs worker_weights or gold_item and gold_label",
                code="aggregation_missing_weights",
                field="worker_weights",
            )
        self.weights_ = weights
        scores = vote_table(item_a, label_a, n_i, n_k, weights[worker_a])
        _set_result(self, scores, item_a, label_a)
        return self


def gold_truth(
    gold_item: npt.ArrayLike, gold_label: npt.ArrayLike, n_items: int, n_classes: int
) -> IntArray:
    """Per-item known label code, -1 where the item is not gold."""
    g_item = np.asarray(gold_item, dtype=np.intp).reshape(-1)
    g_label = np.asarray(gold_label, dtype=np.intp).reshape(-1)
    if g_item.size != g_label.size:
        raise ValidationFailed(
            f"gold_label has {g_label.size} rows but gold_item has {g_item.size}",
            code="aggregation_length_mismatch",
            field="gold_label",
        )
    for name, codes, bound in (("gold_item", g_item, n_items), ("gold_label", g_label, n_classes)):
        bad = (codes < 0) | (codes >= bound)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValidationFailed(
                f"{name} code {int(codes[row])} at row {row} is outside 0..{bound - 1}",
                code="aggregation_code_out_of_range",
                field=name,
            )
    truth = np.full(n_items, -1, dtype=np.intp)
    truth[g_item] = g_label
    return truth


def _set_result(estimator: Any, scores: FloatArray, item: IntArray, label: IntArray) -> None:
    """Store probas_/labels_/confidence_/ties_ from a table of non-negative vote scores.

    Row totals, the best class and ties are taken on one contiguous row per class (reductions
    along the short axis of items x K are many times slower); an unanswered item is uniform.
    """
    n_items, n_k = scores.shape
    by_class = np.ascontiguousarray(scores.T)
    totals = by_class.sum(axis=0)
    answered = totals > 0
    # Ties are judged on the raw scores: dividing a row by its total cannot create or break one.
    estimator.labels_, top, estimator.ties_ = class_argmax(by_class, item, label)
    uniform = 1.0 / n_k if n_k else 0.0
    probas = np.full_like(scores, uniform)
    estimator.probas_ = np.divide(scores, totals[:, None], out=probas, where=answered[:, None])
    # The chosen label's share: the top score over the same total, so equal to the row maximum.
    estimator.confidence_ = np.divide(top, totals, out=np.full(n_items, uniform), where=answered)
