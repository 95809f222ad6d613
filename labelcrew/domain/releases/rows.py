"""The rules of a release, as pure functions: each item's final label, the content hash, and
the diff of two releases. No database here: `labelcrew.services.releases.publish` reads the labels
and hands them over as plain values.

Final label of a non-gold item, in this order:

1. **Reviewed correction**: the latest review with verdict ``correct`` whose corrected value
   names the primary field. Source ``review``, confidence 1.0 (a reviewer decided it).
2. **Consensus** of the item's live (not superseded) labels on the primary field, by majority
   vote (``mv``) or Dawid-Skene (``ds``, as `labelcrew.domain.aggregation.methods.make_aggregator`
   configures it; gold-seeded, ``gds``, when answered gold items exist, so each annotator's
   confusion matrix is anchored on known truths). Source ``consensus``, confidence = the
   posterior of the chosen label (for ``mv`` the vote share).

Other fields of the label are carried from the earliest live annotation whose primary value
agrees with the final label (a correction's own fields override them). So a released row is
always one coherent annotation, never a field-by-field mix of several annotators. When no
annotation agrees (Dawid-Skene may pick a label nobody gave when it trusts an annotator's
confusion matrix over their lone answer), the other fields are None.

An item is left out, with a reason, when it has ``no_labels``; ``only_superseded_labels``
(every label it had was superseded by a relabel and none was given since); ``no_primary_value``
(labels, but none sets the primary field); ``tied`` (the top posterior is shared: the label
would be arbitrary); ``below_min_confidence``. Excluded rows keep the candidate label and
confidence so that a diff can say what happened.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from labelcrew.domain.aggregation.methods import make_aggregator

METHODS = ("ds", "mv")
REASONS = (
    "no_labels",
    "only_superseded_labels",
    "no_primary_value",
    "tied",
    "below_min_confidence",
)
# Confidences are rounded before they are stored and hashed, so that the last bits of a
# floating-point EM run can never make the same data hash differently.
DIGITS = 6
HASHED = (
    "item_id",
    "external_id",
    "included",
    "reason",
    "label",
    "value",
    "confidence",
    "source",
    "n_labels",
    "votes",
    "guideline_versions",
    "schema_versions",
    "data",
)


@dataclass(frozen=True, slots=True)
class StoredLabel:
    """One annotation as the release reads it."""

    annotation_id: int
    item_id: int
    annotator_id: int
    value: Mapping[str, Any]
    guideline_version: int | None
    schema_version: int
    live: bool


@dataclass(frozen=True, slots=True)
class ReleaseInput:
    """Everything a release is computed from."""

    items: Sequence[tuple[int, str, Mapping[str, Any]]]  # non-gold (id, external id, payload)
    labels: Sequence[StoredLabel]  # every annotation of the project, gold items' too
    corrections: Mapping[int, Mapping[str, Any]]  # item id -> latest corrected value
    gold: Mapping[int, str]  # gold item id -> known primary label
    field: str
    categories: Sequence[str]


def consensus(
    data: ReleaseInput, method: str, categories: list[str]
) -> tuple[dict[int, tuple[str, float, bool]], str]:
    """item id -> (label, confidence, tied) for every non-gold item with a live primary value,
    and the name of the estimator that decided them."""
    index = {c: k for k, c in enumerate(categories)}
    answers = [
        (lab.item_id, lab.annotator_id, index[str(lab.value[data.field])])
        for lab in data.labels
        if lab.live
        and lab.value.get(data.field) is not None
        and (method == "ds" or lab.item_id not in data.gold)
    ]
    estimator = make_aggregator(method)
    if not answers:
        return {}, describe(estimator)
    raw_items, raw_workers, codes = (np.asarray(column) for column in zip(*answers, strict=True))
    item_ids, item = np.unique(raw_items, return_inverse=True)
    _, worker = np.unique(raw_workers, return_inverse=True)
    fit_args: dict[str, Any] = {"n_classes": len(categories)}
    position = {int(i): p for p, i in enumerate(item_ids)}
    pinned = [(position[i], index[g]) for i, g in data.gold.items() if i in position and g in index]
    if method == "ds" and pinned:
        estimator = make_aggregator("gds")
        fit_args["gold_item"] = [p for p, _ in pinned]
        fit_args["gold_label"] = [k for _, k in pinned]
    estimator.fit(item, worker, codes, **fit_args)
    decided = {
        int(i): (
            categories[int(estimator.labels_[p])],
            round(float(estimator.confidence_[p]), DIGITS),
            bool(estimator.ties_[p]),
        )
        for p, i in enumerate(item_ids)
        if int(i) not in data.gold
    }
    return decided, describe(estimator)


def describe(estimator: Any) -> str:
    """The estimator and its settings, e.g. ``DawidSkene(smoothing=0.05)``: part of the hashed
    definition, so a change of settings is a change of content."""
    smoothing = getattr(estimator, "smoothing", None)
    name = type(estimator).__name__
    return name if smoothing is None else f"{name}(smoothing={smoothing:g})"


def build_rows(
    data: ReleaseInput, *, method: str, min_confidence: float | None
) -> tuple[list[dict[str, Any]], str]:
    """One row per non-gold item, sorted by item id (see the module docstring for the rules),
    and the estimator's name."""
    categories = list(data.categories)
    seen = {lab.value.get(data.field) for lab in data.labels} - {None, *categories}
    categories += sorted(str(v) for v in seen)  # values of older schema versions keep a code
    decided, estimator = consensus(data, method, categories)
    by_item: dict[int, list[StoredLabel]] = {}
    for lab in data.labels:
        by_item.setdefault(lab.item_id, []).append(lab)
    rows = []
    for item_id, external_id, payload in sorted(data.items, key=lambda t: t[0]):
        labels = by_item.get(item_id, [])
        voted = [x for x in labels if x.live and x.value.get(data.field) is not None]
        row: dict[str, Any] = {
            "item_id": item_id,
            "external_id": external_id,
            "included": False,
            "reason": None,
            "label": None,
            "value": None,
            "confidence": None,
            "source": None,
            "n_labels": len(voted),
            "votes": dict(sorted(Counter(str(x.value[data.field]) for x in voted).items())),
            "guideline_versions": sorted({x.guideline_version for x in voted} - {None}),
            "schema_versions": sorted({x.schema_version for x in voted}),
            "data": dict(payload),
        }
        corrected = data.corrections.get(item_id)
        if corrected is not None and corrected.get(data.field) is not None:
            label = str(corrected[data.field])
            row.update(label=label, confidence=1.0, source="review", included=True)
            row["value"] = {**_agreeing(voted, data.field, label), **corrected}
        elif not labels:
            row["reason"] = "no_labels"
        elif not any(x.live for x in labels):
            row["reason"] = "only_superseded_labels"
        elif not voted:
            row["reason"] = "no_primary_value"
        else:
            label, confidence, tied = decided[item_id]
            row.update(label=label, confidence=confidence, source="consensus")
            if tied:
                row["reason"] = "tied"
            elif min_confidence is not None and confidence < min_confidence:
                row["reason"] = "below_min_confidence"
            else:
                row["included"] = True
                row["value"] = _agreeing(voted, data.field, label)
        rows.append(row)
    return rows, estimator


def _agreeing(voted: list[StoredLabel], field: str, label: str) -> dict[str, Any]:
    """The earliest annotation giving ``label``; when none does (a correction overruled them
    all, or Dawid-Skene trusts a confusion matrix over a lone answer) only the primary field
    is known and the other fields are None."""
    ordered = sorted(voted, key=lambda x: x.annotation_id)
    for lab in ordered:
        if str(lab.value[field]) == label:
            return dict(lab.value)
    fields = ordered[0].value if ordered else {}
    return {**dict.fromkeys(fields), field: label}


def canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def content_hash(definition: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 over the defining part of the manifest, then each row (sorted keys, one per
    line, by item id). Two releases with the same content share the hash; the name, time and
    release notes are not part of it."""
    digest = hashlib.sha256(canonical(dict(definition)) + b"\n")
    for row in sorted(rows, key=lambda r: int(r["item_id"])):
        digest.update(canonical({key: row[key] for key in HASHED}) + b"\n")
    return digest.hexdigest()


def _latest_guideline(row: Mapping[str, Any]) -> int:
    return max(row["guideline_versions"], default=0)


def _reasons(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    reasons = []
    if new["source"] == "review" and old["source"] != "review":
        reasons.append("new reviewed correction")
    elif old["source"] == "review" and new["source"] != "review":
        reasons.append("reviewed correction withdrawn")
    elif new["source"] == "review" and old["value"] != new["value"]:
        reasons.append("reviewed correction changed")
    if _latest_guideline(new) > _latest_guideline(old):
        reasons.append(f"relabel under guideline v{_latest_guideline(new)}")
    if new["n_labels"] != old["n_labels"]:
        reasons.append(f"labels {old['n_labels']} -> {new['n_labels']}")
    elif new["votes"] != old["votes"]:
        reasons.append("votes changed")
    if old["label"] == new["label"] and old["value"] != new["value"]:
        reasons.append("other fields changed")
    if old["confidence"] != new["confidence"]:
        reasons.append("confidence change")
    return reasons or ["consensus re-estimated"]


def _brief(row: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {f"{prefix}label": row["label"], f"{prefix}confidence": row["confidence"]}


def diff_rows(
    old_rows: Iterable[Mapping[str, Any]], new_rows: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """What a consumer of ``old`` sees change in ``new``: added, removed and changed labels,
    plus confidence-only changes, each with its reasons."""
    old = {int(r["item_id"]): r for r in old_rows}
    new = {int(r["item_id"]): r for r in new_rows}
    added, removed, changed, confidence = [], [], [], []
    for item_id in sorted(old.keys() | new.keys()):
        a, b = old.get(item_id), new.get(item_id)
        was_in, is_in = bool(a and a["included"]), bool(b and b["included"])
        ref = {"item_id": item_id, "external_id": (b or a or {}).get("external_id")}
        if is_in and not was_in:
            assert b is not None
            why = "new item" if a is None else f"newly included (was {a['reason']})"
            reasons = [why] + (
                [] if a is None else [r for r in _reasons(a, b) if r != "consensus re-estimated"]
            )
            added.append({**ref, **_brief(b, ""), "source": b["source"], "reasons": reasons})
        elif was_in and not is_in:
            assert a is not None
            why = "item left the project" if b is None else f"newly excluded: {b['reason']}"
            reasons = [why] + (
                [] if b is None else [r for r in _reasons(a, b) if r != "consensus re-estimated"]
            )
            removed.append({**ref, **_brief(a, ""), "reasons": reasons})
        elif was_in and is_in:
            assert a is not None and b is not None
            if a["label"] != b["label"] or a["value"] != b["value"]:
                entry = {**ref, **_brief(a, "old_"), **_brief(b, "new_")}
                changed.append({**entry, "reasons": _reasons(a, b)})
            elif a["confidence"] != b["confidence"]:
                entry = {**ref, "label": b["label"], **_brief(a, "old_"), **_brief(b, "new_")}
                confidence.append({**entry, "reasons": _reasons(a, b)})
    return {
        "counts": {
            "added": len(added),
            "removed": len(removed),
            "changed": len(changed),
            "confidence_changed": len(confidence),
        },
        "added": added,
        "removed": removed,
        "changed": changed,
        "confidence_changed": confidence,
    }
