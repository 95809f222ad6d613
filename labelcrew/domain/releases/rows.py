"""The rules of a release, as pure functions: each item's final value field by field, the
content hash, and the diff of two releases. No database here: `labelcrew.services.releases.publish`
reads the labels and hands them over as plain values.

Each field of a non-gold item gets its own final value, confidence and method
(`labelcrew.domain.releases.fields`): a reviewed correction that sets the field (source
``review``, confidence 1.0), else the consensus of the item's live (not superseded) labels
for that field, by the method that fits its kind. The row keeps them all under ``fields``;
``value`` is the final value of every field; ``confidence`` is the item's: the lowest of its
required fields' (free text has none and is never voted on), so an item is never more certain
than its weakest required field. ``label`` is the first single-choice field's value (None when
the schema has none: NER-only and boxes-only projects release like any other), ``votes`` that
field's answers counted. ``annotations`` keeps every live label by its annotator beside the
consensus.

An item is left out, with a reason, when it has ``no_labels``; ``only_superseded_labels``
(every label it had was superseded by a relabel and none was given since);
``no_primary_value`` (labels, but none sets the first single-choice field) or
``missing_field`` (none sets another required field); ``tied`` (a required field's top
answers are equally likely: its value would be arbitrary); ``below_min_confidence`` (a
required field below the release's minimum). ``reason_field`` names the field. Excluded rows
keep the candidate values and confidences so that a diff can say what happened.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from labelcrew.domain.aggregation.fields import FieldConsensus
from labelcrew.domain.releases.fields import DIGITS, consensus_by_field
from labelcrew.domain.schema.label_schema import LabelSchema

METHODS = ("ds", "mv")
REASONS = (
    "no_labels",
    "only_superseded_labels",
    "no_primary_value",
    "missing_field",
    "tied",
    "below_min_confidence",
)
# Confidences are rounded (DIGITS) before they are stored and hashed, so that the last bits
# of a floating-point EM run can never make the same data hash differently.
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
# Keys added with per-field releases: hashed only when set, so a release made before them
# still verifies against the hash it was published with.
HASHED_WHEN_SET = ("reason_field", "fields", "annotations")


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
    gold: Mapping[int, Mapping[str, Any]]  # gold item id -> the expert's (partial) value
    schema: LabelSchema
    field: str | None  # the first single-choice field: the `label` column
    categories: Sequence[str]  # its options


def build_rows(
    data: ReleaseInput, *, method: str, min_confidence: float | None
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One row per non-gold item, sorted by item id (see the module docstring for the rules),
    and the method of each field."""
    live = [(x.item_id, x.annotator_id, x.value) for x in data.labels if x.live]
    decided, methods = consensus_by_field(data.schema, live, data.gold, method)
    by_item: dict[int, list[StoredLabel]] = {}
    for lab in data.labels:
        by_item.setdefault(lab.item_id, []).append(lab)
    required = [f.name for f in data.schema.fields if f.required]
    rows = []
    for item_id, external_id, payload in sorted(data.items, key=lambda t: t[0]):
        labels = by_item.get(item_id, [])
        voted = [x for x in labels if x.live]
        fields = _fields(data, decided, methods, item_id, data.corrections.get(item_id))
        primary = data.field
        row: dict[str, Any] = {
            "item_id": item_id,
            "external_id": external_id,
            "included": False,
            "reason": None,
            "reason_field": None,
            "label": None,
            "value": None,
            "confidence": _weakest(fields, required)[1],
            "source": "review" if item_id in data.corrections else "consensus",
            "n_labels": len(voted),
            "votes": _votes(voted, primary),
            "guideline_versions": sorted({x.guideline_version for x in voted} - {None}),
            "schema_versions": sorted({x.schema_version for x in voted}),
            "data": dict(payload),
            "fields": fields,
            "annotations": [_annotation(x) for x in voted],
        }
        if primary is not None and fields.get(primary, {}).get("value") is not None:
            row["label"] = str(fields[primary]["value"])
        missing = [name for name in required if fields.get(name, {}).get("value") is None]
        missing = [n for n in missing if data.schema.field(n).kind != "text"]
        tied = [name for name in required if fields.get(name, {}).get("tied")]
        weakest, confidence = _weakest(fields, required)
        if not labels:
            row.update(reason="no_labels", source=None)
        elif not voted:
            row.update(reason="only_superseded_labels", source=None)
        elif missing:
            reason = "no_primary_value" if missing[0] == primary else "missing_field"
            row.update(reason=reason, reason_field=missing[0])
        elif tied:
            row.update(reason="tied", reason_field=tied[0])
        elif min_confidence is not None and confidence is not None and confidence < min_confidence:
            row.update(reason="below_min_confidence", reason_field=weakest)
        else:
            row["included"] = True
            row["value"] = {name: f["value"] for name, f in fields.items()}
        rows.append(row)
    return rows, methods


def _votes(voted: list[StoredLabel], field: str | None) -> dict[str, int]:
    """The first single-choice field's answers counted ({} when the schema has none)."""
    if field is None:
        return {}
    given = (str(x.value[field]) for x in voted if x.value.get(field) is not None)
    return dict(sorted(Counter(given).items()))


def _annotation(label: StoredLabel) -> dict[str, Any]:
    return {
        "annotation_id": label.annotation_id,
        "annotator_id": label.annotator_id,
        "guideline_version": label.guideline_version,
        "value": dict(label.value),
    }


def _fields(
    data: ReleaseInput,
    decided: Mapping[str, Mapping[int, FieldConsensus]],
    methods: Mapping[str, str],
    item_id: int,
    corrected: Mapping[str, Any] | None,
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for field in data.schema.fields:
        name = field.name
        found = decided.get(name, {}).get(item_id)
        if corrected is not None and corrected.get(name) is not None:
            out[name] = {
                "value": corrected[name],
                "confidence": None if field.kind == "text" else 1.0,
                "method": "review",
                "source": "review",
                "n_labels": found.n_labels if found else 0,
                "tied": False,
            }
        elif found is not None:
            out[name] = {
                "value": found.value,
                "confidence": None
                if found.confidence is None
                else round(float(found.confidence), DIGITS),
                "method": found.method,
                "source": "consensus",
                "n_labels": found.n_labels,
                "tied": found.tied,
                **({"detail": found.detail} if found.detail else {}),
            }
        else:
            out[name] = {
                "value": None,
                "confidence": None,
                "method": methods.get(name),
                "source": None,
                "n_labels": 0,
                "tied": False,
            }
    return out


def _weakest(
    fields: Mapping[str, Mapping[str, Any]], required: Sequence[str]
) -> tuple[str | None, float | None]:
    """The required field with the lowest confidence, and that confidence (the item's)."""
    scored = [
        (fields[n]["confidence"], n)
        for n in required
        if n in fields and fields[n]["confidence"] is not None
    ]
    if not scored:
        return None, None
    confidence, name = min(scored)
    return name, confidence


def canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def content_hash(definition: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 over the defining part of the manifest, then each row (sorted keys, one per
    line, by item id). Two releases with the same content share the hash; the name, time and
    release notes are not part of it."""
    digest = hashlib.sha256(canonical(dict(definition)) + b"\n")
    for row in sorted(rows, key=lambda r: int(r["item_id"])):
        hashed = {key: row[key] for key in HASHED}
        hashed.update({k: row[k] for k in HASHED_WHEN_SET if row.get(k) is not None})
        digest.update(canonical(hashed) + b"\n")
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
