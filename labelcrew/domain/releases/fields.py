"""Each field's final value in a release, with its own confidence and method (issue 16).

- **single_choice**: the release's estimator over the field's options (`mv`, or Dawid-Skene:
  gold-seeded, ``gds``, when gold answers set the field), as `consensus` always did for the
  first single-choice field; now for every one. Confidence = the chosen option's posterior.
- **text**: no vote. The value is kept when every label gave the same text, else None; every
  text given is listed under ``values``. It has no confidence and never lowers the item's.
- **every other kind** (multi choice, rating, ranking, spans, boxes, and kinds added later
  through the same interface): `labelcrew.domain.aggregation.fields.field_consensus` with the
  release's method (a stepped rating by the estimator over its grid, multi choice by one
  binary model per option, rankings by Borda count, spans and boxes by region clusters).

A reviewed correction that sets a field overrides it (source ``review``, confidence 1.0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np

from labelcrew.domain.aggregation.fields import FieldConsensus, field_consensus
from labelcrew.domain.aggregation.methods import make_aggregator
from labelcrew.domain.schema.base import Field
from labelcrew.domain.schema.fields import SingleChoice
from labelcrew.domain.schema.label_schema import LabelSchema

DIGITS = 6
NO_VOTE = "no_vote"


def describe(estimator: Any) -> str:
    """The estimator and its settings, e.g. ``DawidSkene(smoothing=0.05)``: part of the hashed
    definition, so a change of settings is a change of content."""
    smoothing = getattr(estimator, "smoothing", None)
    name = type(estimator).__name__
    return name if smoothing is None else f"{name}(smoothing={smoothing:g})"


def choice_consensus(
    answers: Sequence[tuple[int, int, str]],
    gold: Mapping[int, str],
    categories: list[str],
    method: str,
) -> tuple[dict[int, FieldConsensus], str]:
    """item id -> consensus of one single-choice field for every non-gold item it has answers
    on, and the estimator's name. Gold items' answers train Dawid-Skene only."""
    index = {c: k for k, c in enumerate(categories)}
    rows = [
        (i, w, index[v]) for i, w, v in answers if v in index and (method == "ds" or i not in gold)
    ]
    estimator = make_aggregator(method)
    if not rows:
        return {}, describe(estimator)
    raw_items, raw_workers, codes = (np.asarray(column) for column in zip(*rows, strict=True))
    item_ids, item = np.unique(raw_items, return_inverse=True)
    _, worker = np.unique(raw_workers, return_inverse=True)
    fit_args: dict[str, Any] = {"n_classes": len(categories)}
    position = {int(i): p for p, i in enumerate(item_ids)}
    pinned = [(position[i], index[g]) for i, g in gold.items() if i in position and g in index]
    if method == "ds" and pinned:
        estimator = make_aggregator("gds")
        fit_args["gold_item"] = [p for p, _ in pinned]
        fit_args["gold_label"] = [k for _, k in pinned]
    estimator.fit(item, worker, codes, **fit_args)
    name = describe(estimator)
    counts = np.bincount(item, minlength=len(item_ids))
    decided = {
        int(i): FieldConsensus(
            value=categories[int(estimator.labels_[p])],
            confidence=round(float(estimator.confidence_[p]), DIGITS),
            method=name,
            n_labels=int(counts[p]),
            tied=bool(estimator.ties_[p]),
            detail={},
        )
        for p, i in enumerate(item_ids)
        if int(i) not in gold
    }
    return decided, name


def text_consensus(answers: Sequence[tuple[int, int, Any]]) -> dict[int, FieldConsensus]:
    """No vote on free text: the shared text when all labels agree, and every text given."""
    by_item: dict[int, list[str]] = {}
    for item_id, _, value in answers:
        by_item.setdefault(item_id, []).append(str(value))
    return {
        item_id: FieldConsensus(
            value=values[0] if len(set(values)) == 1 else None,
            confidence=None,
            method=NO_VOTE,
            n_labels=len(values),
            tied=False,
            detail={"values": values},
        )
        for item_id, values in by_item.items()
    }


def consensus_by_field(
    schema: LabelSchema,
    answers: Sequence[tuple[int, int, Mapping[str, Any]]],
    gold: Mapping[int, Mapping[str, Any]],
    method: str,
) -> tuple[dict[str, dict[int, FieldConsensus]], dict[str, str]]:
    """Per field: item id -> its consensus, and the method that made it. `answers` are the
    live labels (item id, annotator id, value), gold items' included."""
    results: dict[str, dict[int, FieldConsensus]] = {}
    methods: dict[str, str] = {}
    for field in schema.fields:
        given = [(i, w, v[field.name]) for i, w, v in answers if v.get(field.name) is not None]
        results[field.name], methods[field.name] = _one_field(field, given, gold, method)
    return results, methods


def _one_field(
    field: Field,
    given: list[tuple[int, int, Any]],
    gold: Mapping[int, Mapping[str, Any]],
    method: str,
) -> tuple[dict[int, FieldConsensus], str]:
    if isinstance(field, SingleChoice):
        categories = list(field.options)
        seen = {str(v) for _, _, v in given} - set(categories)
        categories += sorted(seen)  # values of older schema versions keep a code
        known = {i: str(g[field.name]) for i, g in gold.items() if g.get(field.name) is not None}
        return choice_consensus([(i, w, str(v)) for i, w, v in given], known, categories, method)
    if field.kind == "text":
        return text_consensus(given), NO_VOTE
    ordinary = [(i, w, v) for i, w, v in given if i not in gold]
    found = {cast(int, i): c for i, c in field_consensus(field, ordinary, method=method).items()}
    name = next(iter(found.values())).method if found else field.kind
    return found, name
