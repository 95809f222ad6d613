"""Consensus of one field of the schema over the whole project, for every kind but single
choice (which the release's estimator, majority vote or Dawid-Skene, decides) and free text
(never voted on): see `labelcrew.domain.releases.fields`.

Each item's consensus carries its own confidence in [0, 1]; identical labels always give that
label with confidence 1.

- **multi_choice** (per-option vote): an option is in the consensus when more than half of the
  item's annotators chose it. Confidence = the lowest, over the options, of the share on the
  winning side (chosen or not); an option chosen by exactly half is a tie.
- **rating** (median): the median of the answers (the lower middle one when their number is
  even, a tie when the two middle answers differ). Confidence = the share of answers equal to it.
- **ranking** (Borda count: de Borda 1781; as in Dwork et al., "Rank aggregation methods for
  the web", WWW 2001): candidates ordered by their mean position. Confidence = the mean, over
  annotators, of the share of candidate pairs they order as the consensus does (Kendall's
  agreement fraction); equal mean positions are a tie (grouped when the field allows ties).
- **spans / bbox** (region clustering): each annotator's regions are matched to clusters of
  the same label by IoU >= the field's threshold (0.5 for spans, by character intervals; the
  field's `iou_threshold` for boxes, PASCAL VOC), one region per annotator per cluster. A
  cluster is kept when more than half of the item's annotators marked it; its region is the
  median of their coordinates. Each region carries its count and confidence (count / n); a
  cluster left out lowers the field's confidence to 1 - its share. Field confidence = the
  lowest of these (1 when everyone marked nothing or exactly the same regions).
- **any other kind** (a kind added later that brings no rule of its own): majority vote over
  the field's canonical form (`Field.agreement_value`), confidence = the vote share.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median, median_low
from typing import Any

from labelcrew.domain.schema.base import Field
from labelcrew.domain.schema.regions import iou

SPAN_IOU = 0.5


@dataclass(frozen=True, slots=True)
class FieldConsensus:
    """One field's consensus on one item."""

    value: Any
    confidence: float | None
    method: str
    n_labels: int
    tied: bool
    detail: dict[str, Any] = field(default_factory=dict)


Answers = Sequence[tuple[int, int, Any]]  # (item id, annotator id, value)


def field_consensus(f: Field, answers: Answers, *, method: str = "ds") -> dict[int, FieldConsensus]:
    """item id -> consensus of field `f` for every item with answers. `method` names the
    release's estimator; these kinds have one rule each (the module docstring)."""
    by_item: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    for item_id, who, value in answers:
        by_item[item_id].append((who, value))
    rule = RULES.get(f.kind, _vote)
    return {item_id: rule(f, given) for item_id, given in by_item.items()}


def _multi(f: Field, given: list[tuple[int, Any]]) -> FieldConsensus:
    n = len(given)
    chosen = Counter(option for _, value in given for option in set(value))
    options = list(getattr(f, "options", ())) or sorted(chosen)
    value = [o for o in options if chosen[o] * 2 > n]
    shares = [max(chosen[o], n - chosen[o]) / n for o in options]
    tied = any(chosen[o] * 2 == n for o in options)
    return FieldConsensus(value, min(shares, default=1.0), "per_option_vote", n, tied)


def _rating(f: Field, given: list[tuple[int, Any]]) -> FieldConsensus:
    values: list[float] = sorted(float(v) for _, v in given)
    middle = median_low(values)
    n = len(values)
    tied = n % 2 == 0 and values[n // 2 - 1] != values[n // 2]
    chosen = next(v for _, v in given if float(v) == middle)
    return FieldConsensus(chosen, values.count(middle) / n, "median", n, tied)


def _positions(f: Field, value: Sequence[Any]) -> dict[int, int]:
    if getattr(f, "allow_ties", False):
        return {c: g for g, group in enumerate(value) for c in group}
    return {c: k for k, c in enumerate(value)}


def _ranking(f: Field, given: list[tuple[int, Any]]) -> FieldConsensus:
    ranks = [_positions(f, v) for _, v in given]
    candidates = sorted(ranks[0])
    mean_pos = {c: sum(r[c] for r in ranks) / len(ranks) for c in candidates}
    ordered = sorted(candidates, key=lambda c: (mean_pos[c], c))
    levels = sorted(set(mean_pos.values()))
    tied = len(levels) < len(candidates)
    if getattr(f, "allow_ties", False):
        value: list[Any] = [[c for c in ordered if mean_pos[c] == lv] for lv in levels]
        tied = tied and not all(len(set(r.values())) < len(candidates) for r in ranks)
    else:
        value = ordered
    pairs = [(a, b) for i, a in enumerate(candidates) for b in candidates[i + 1 :]]

    def agrees(r: Mapping[int, int]) -> float:
        same = sum(
            (r[a] > r[b]) == (mean_pos[a] > mean_pos[b])
            and (r[a] < r[b]) == (mean_pos[a] < mean_pos[b])
            for a, b in pairs
        )
        return same / len(pairs) if pairs else 1.0

    confidence = sum(agrees(r) for r in ranks) / len(ranks)
    return FieldConsensus(value, confidence, "borda", len(given), tied)


def _span_iou(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    inter = max(0, min(a["end"], b["end"]) - max(a["start"], b["start"]))
    union = max(a["end"], b["end"]) - min(a["start"], b["start"])
    return inter / union if union > 0 else 0.0


@dataclass
class _Cluster:
    label: Any
    members: dict[int, Mapping[str, Any]]  # annotator id -> their region


def _regions(
    f: Field,
    given: list[tuple[int, Any]],
    overlap: Callable[[Mapping[str, Any], Mapping[str, Any]], float],
    threshold: float,
    keys: tuple[str, ...],
    whole: bool,
) -> FieldConsensus:
    clusters: list[_Cluster] = []
    for who, regions in given:
        for region in regions:
            best, score = None, threshold
            for c in clusters:
                if c.label != region["label"] or who in c.members:
                    continue
                s = max(overlap(region, m) for m in c.members.values())
                if s >= score:
                    best, score = c, s
            if best is None:
                clusters.append(_Cluster(region["label"], {who: region}))
            else:
                best.members[who] = region
    n = len({who for who, _ in given})
    kept, confidence, tied = [], 1.0, False
    for c in clusters:
        count = len(c.members)
        share = count / n
        tied = tied or count * 2 == n
        if count * 2 > n:
            coords = {
                k: _median(
                    [m[k] for m in c.members.values()],
                    whole or all(isinstance(m[k], int) for m in c.members.values()),
                )
                for k in keys
            }
            kept.append({**coords, "label": c.label, "count": count, "confidence": share})
            confidence = min(confidence, share)
        else:
            confidence = min(confidence, 1 - share)
    kept.sort(key=lambda r: tuple(r[k] for k in keys))
    value = [{k: r[k] for k in (*keys, "label")} for r in kept]
    detail = {"regions": kept, "dropped": len(clusters) - len(kept), "annotators": n}
    method = f"region_clusters(iou>={threshold:g})"
    return FieldConsensus(value, confidence, method, len(given), tied, detail)


def _median(values: list[Any], whole: bool) -> Any:
    m = median(values)
    return int(m) if whole and float(m).is_integer() else (median_low(values) if whole else m)


def _spans(f: Field, given: list[tuple[int, Any]]) -> FieldConsensus:
    return _regions(f, given, _span_iou, SPAN_IOU, ("start", "end"), whole=True)


def _boxes(f: Field, given: list[tuple[int, Any]]) -> FieldConsensus:
    threshold = float(getattr(f, "iou_threshold", 0.5))
    return _regions(f, given, iou, threshold, ("x", "y", "w", "h"), whole=False)


def _vote(f: Field, given: list[tuple[int, Any]]) -> FieldConsensus:
    forms = Counter(f.agreement_value(v) for _, v in given)
    (top, count), *rest = forms.most_common()
    tied = bool(rest) and rest[0][1] == count
    chosen = next(v for _, v in given if f.agreement_value(v) == top)
    return FieldConsensus(chosen, count / len(given), "vote", len(given), tied)


RULES: dict[str, Callable[[Field, list[tuple[int, Any]]], FieldConsensus]] = {
    "multi_choice": _multi,
    "rating": _rating,
    "ranking": _ranking,
    "spans": _spans,
    "bbox": _boxes,
}
FIELD_CONSENSUS_METHODS = {
    "single_choice": "the release's estimator: Dawid-Skene (gold-seeded when gold exists) or "
    "majority vote; confidence = posterior of the chosen option",
    "multi_choice": "per-option vote (> half of annotators); confidence = lowest winning share",
    "rating": "median; confidence = share of answers equal to it",
    "ranking": "Borda count (mean position); confidence = mean pairwise order agreement",
    "spans": "region clusters (same label, IoU >= 0.5, > half of annotators), median offsets; "
    "confidence = lowest cluster share",
    "bbox": "region clusters (same label, IoU >= threshold, > half of annotators), median "
    "coordinates; confidence = lowest cluster share",
    "text": "no vote: the shared text when all agree, every text kept",
}


def item_confidence(per_field: Mapping[str, FieldConsensus], required: set[str]) -> float | None:
    """The item's confidence: the lowest of its required fields' (fields without one skipped)."""
    scores = [
        c.confidence for n, c in per_field.items() if n in required and c.confidence is not None
    ]
    return min(scores) if scores else None
