"""Consensus per field of a label schema, each with its own confidence.

`field_consensus(field, answers, method="ds")` takes the project's answers to one field as
(item_id, worker_id, stored value) triples (all items at once: the Dawid-Skene family learns
each worker's reliability from the whole project) and returns ``{item_id: FieldConsensus}``
for every item with at least one answer (None values are absent answers). Methods
(`FIELD_CONSENSUS_METHODS`):

| kind | value | confidence |
|---|---|---|
| single_choice | the aggregator's label over the options (``method``: mv, ds, ods) | its posterior (mv: vote share) |
| rating with a step | the aggregator's label over the grid values | its posterior |
| rating without a step, or ``method="median"`` | the median (with a step: the lower middle answer, on the grid) | share of answers within 10% of max - min of it (with a step: within half a step, i.e. equal) |
| multi_choice | options whose posterior of "present" is >= 0.5 (one binary model per option) | min over options of the chosen side's posterior |
| ranking | Borda count (Borda 1781; ties by candidate index, or tied groups with allow_ties) | mean over annotators of the share of candidate pairs ordered as in it |
| spans, bbox | clusters of matching regions marked by more than half (`fields_regions`) | min over clusters of count / n (kept) or 1 - count / n (dropped) |
| text | None: free text is reported, never voted (``detail["values"]`` lists the answers) | None |

``method`` (mv, ds, ods; "median" for ratings) applies to single_choice, stepped ratings and
multi_choice; the other kinds have one method each and ignore it (an unknown name is still
refused). ``wmv`` and ``gds`` need worker weights or gold, which this interface does not take.

The aggregators (`methods.make_aggregator`) see only the classes answered somewhere in the
project, in the field's order, as crowd-kit does; so when the whole project gives one answer
the confidence is 1 whatever the method. Under ``ds``/``ods`` a unanimous item's confidence
is otherwise the model's posterior, which is below 1 when its workers err elsewhere.
Multi-choice uses the per-option *minimum* rather than the product: the product of many
near-certain "absent" options shrinks with the number of options, the minimum names the
weakest option and composes with `item_confidence`. A consensus outside the field's
``min_selected``/``max_selected`` is brought inside by adding (or dropping) the options of
highest (lowest) posterior, which lowers the confidence accordingly.

`item_confidence(per_field, required)` = the minimum over the required fields that have a
confidence, so an item is never surer than its weakest required field.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import numpy as np

from labelcrew.domain.aggregation.fields_ranking import borda_consensus
from labelcrew.domain.aggregation.fields_regions import region_consensus
from labelcrew.domain.aggregation.methods import make_aggregator
from labelcrew.domain.quality.agreement.fields_common import Rows, group_rows
from labelcrew.errors import ValidationFailed

__all__ = [
    "FIELD_CONSENSUS_METHODS",
    "METHODS",
    "FieldConsensus",
    "field_consensus",
    "item_confidence",
]

FIELD_CONSENSUS_METHODS: dict[str, str] = {
    "single_choice": "ds",
    "rating": "ds",  # "median" without a step
    "multi_choice": "ds_per_option",
    "ranking": "borda",
    "spans": "region_median",
    "bbox": "region_median",
    "text": "none",
}
METHODS = ("mv", "ds", "ods", "median")
RATING_TOLERANCE = 0.1  # of max - min, for the median of a rating without a step


@dataclass(frozen=True, slots=True)
class FieldConsensus:
    """The consensus of one field on one item (module doc for each kind)."""

    value: Any
    confidence: float | None
    method: str
    n_labels: int
    tied: bool
    detail: dict[str, Any] = dataclass_field(default_factory=dict)


def field_consensus(
    field: Any, answers: Sequence[tuple[Hashable, Hashable, Any]], *, method: str = "ds"
) -> dict[Hashable, FieldConsensus]:
    """``{item_id: FieldConsensus}`` of one field over the project's (item, worker, value)."""
    if method not in METHODS or (method == "median" and field.kind != "rating"):
        allowed = METHODS if field.kind == "rating" else METHODS[:3]
        raise ValidationFailed(
            f"method {method!r} does not apply to a {field.kind} field; use one of {', '.join(allowed)}",
            code="consensus_unknown_method",
            field="method",
        )
    rows = group_rows(*_columns(answers), duplicate_code="consensus_duplicate_answer")
    if not rows:
        return {}
    kind = field.kind
    if kind == "single_choice":
        return _aggregate(field, rows, method, list(field.options))
    if kind == "rating":
        if field.step is None or method == "median":
            return {item: _median(field, answers) for item, answers in rows.items()}
        grid = sorted({field.agreement_value(v) for answers in rows.values() for _, v in answers})
        return _aggregate(field, rows, method, grid)
    if kind == "multi_choice":
        return _multi_choice(field, rows, method)
    if kind == "ranking":
        return {item: _borda(field, answers) for item, answers in rows.items()}
    if kind in ("spans", "bbox"):
        return {item: _regions(field, answers) for item, answers in rows.items()}
    if kind == "text":
        return {
            item: FieldConsensus(
                None, None, "none", len(answers), False, {"values": [v for _, v in answers]}
            )
            for item, answers in rows.items()
        }
    raise ValidationFailed(
        f"no consensus method for field kind {kind!r}",
        code="consensus_unknown_kind",
        field=field.name,
    )


def item_confidence(per_field: Mapping[str, FieldConsensus], required: set[str]) -> float | None:
    """Min confidence over the required fields that have one; None if none has."""
    known = [
        c.confidence
        for name, c in per_field.items()
        if name in required and c.confidence is not None
    ]
    return min(known) if known else None


def _columns(
    answers: Sequence[tuple[Hashable, Hashable, Any]],
) -> tuple[list[Any], list[Any], list[Any]]:
    items, workers, values = [], [], []
    for item, worker, value in answers:
        items.append(item)
        workers.append(worker)
        values.append(value)
    return items, workers, values


def _fit(rows: Rows, labels: list[int], n_classes: int, method: str) -> Any:
    """The fitted aggregator over all answers, items coded in `rows` order."""
    workers: dict[Hashable, int] = {}
    item_codes = [i for i, answers in enumerate(rows.values()) for _ in answers]
    worker_codes = [
        workers.setdefault(w, len(workers)) for answers in rows.values() for w, _ in answers
    ]
    return make_aggregator(method).fit(
        np.array(item_codes, dtype=np.intp),
        np.array(worker_codes, dtype=np.intp),
        np.array(labels, dtype=np.intp),
        n_items=len(rows),
        n_classes=n_classes,
    )


def _aggregate(
    field: Any, rows: Rows, method: str, domain: list[Any]
) -> dict[Hashable, FieldConsensus]:
    """Single choice, or a rating on its grid: one aggregator over the classes answered."""
    index = {key: k for k, key in enumerate(domain)}
    keys = [field.agreement_value(v) for answers in rows.values() for _, v in answers]
    unknown = next((key for key in keys if key not in index), None)
    if unknown is not None:
        raise ValidationFailed(
            f"{unknown!r} is not a value of field {field.name!r}",
            code="consensus_bad_value",
            field=field.name,
        )
    given = set(keys)
    answered = [key for key in domain if key in given]
    code = {key: k for k, key in enumerate(answered)}
    fitted = _fit(rows, [code[key] for key in keys], len(answered), method)
    out: dict[Hashable, FieldConsensus] = {}
    start = 0
    for i, (item, answers) in enumerate(rows.items()):
        mine = keys[start : start + len(answers)]
        start += len(answers)
        votes = {str(key): mine.count(key) for key in dict.fromkeys(mine)}
        posterior = {str(key): float(fitted.probas_[i, code[key]]) for key in dict.fromkeys(mine)}
        out[item] = FieldConsensus(
            value=answered[int(fitted.labels_[i])],
            confidence=float(fitted.confidence_[i]),
            method=method,
            n_labels=len(answers),
            tied=bool(fitted.ties_[i]),
            detail={"votes": votes, "posterior": posterior},
        )
    return out


def _median(field: Any, answers: list[tuple[Hashable, Any]]) -> FieldConsensus:
    """Median rating; confidence = share of answers within the tolerance of it (module doc)."""
    values = sorted(field.agreement_value(v) for _, v in answers)
    n = len(values)
    if field.step is not None:
        value: Any = values[(n - 1) // 2]
        tolerance = field.step / 2.0
    else:
        middle = float(np.median(values))
        integral = all(isinstance(v, int) and not isinstance(v, bool) for _, v in answers)
        value = int(middle) if integral and middle.is_integer() else middle
        tolerance = RATING_TOLERANCE * (field.max - field.min)
    slack = 1e-9 * max(1.0, abs(float(field.max)), abs(float(field.min)))
    within = sum(abs(v - value) <= tolerance + slack for v in values)
    return FieldConsensus(
        value=value,
        confidence=within / n,
        method="median",
        n_labels=n,
        tied=n % 2 == 0 and values[n // 2 - 1] != values[n // 2],
        detail={"tolerance": tolerance, "within": within},
    )


def _multi_choice(field: Any, rows: Rows, method: str) -> dict[Hashable, FieldConsensus]:
    """One binary aggregator per option on present (1) / absent (0) across the project."""
    sets = [field.agreement_value(v) for answers in rows.values() for _, v in answers]
    present = np.zeros((len(rows), len(field.options)))
    ties = np.zeros((len(rows), len(field.options)), dtype=bool)
    for o, option in enumerate(field.options):
        labels = [int(option in s) for s in sets]
        if len(set(labels)) == 1:  # the same everywhere: certain, whatever the model
            present[:, o] = labels[0] if labels else 0
            continue
        fitted = _fit(rows, labels, 2, method)
        present[:, o] = fitted.probas_[:, 1]
        ties[:, o] = fitted.ties_
    out: dict[Hashable, FieldConsensus] = {}
    start = 0
    for i, (item, answers) in enumerate(rows.items()):
        mine = sets[start : start + len(answers)]
        start += len(answers)
        p = present[i]
        chosen = p >= 0.5
        by_posterior = np.argsort(-p, kind="stable")
        high = field.max_selected if field.max_selected is not None else len(p)
        if chosen.sum() > high:
            chosen[:] = False
            chosen[by_posterior[:high]] = True
        missing = field.min_selected - int(chosen.sum())
        if missing > 0:
            chosen[[o for o in by_posterior if not chosen[o]][:missing]] = True
        side = np.where(chosen, p, 1.0 - p)
        out[item] = FieldConsensus(
            value=[option for option, keep in zip(field.options, chosen, strict=True) if keep],
            confidence=float(side.min()),
            method=f"{method}_per_option",
            n_labels=len(answers),
            tied=bool(ties[i].any()),
            detail={
                "posterior": {option: float(q) for option, q in zip(field.options, p, strict=True)},
                "votes": {option: sum(option in s for s in mine) for option in field.options},
            },
        )
    return out


def _borda(field: Any, answers: list[tuple[Hashable, Any]]) -> FieldConsensus:
    value, confidence, tied, detail = borda_consensus(field, [v for _, v in answers])
    return FieldConsensus(value, confidence, "borda", len(answers), tied, detail)


def _regions(field: Any, answers: list[tuple[Hashable, Any]]) -> FieldConsensus:
    value, confidence, tied, detail = region_consensus(field, answers)
    return FieldConsensus(value, confidence, "region_median", len(answers), tied, detail)
