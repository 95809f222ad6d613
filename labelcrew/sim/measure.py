"""What the simulator reports: how fast each kind of drift was caught, false alarms on steady
members, honeypot misses of inattentive members, the gold-serving tells a hostile annotator
could count, aggregation accuracy and labels spent (issue 21's "done when")."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select

from labelcrew.db.models.core import Annotation, GoldAnswer, Item, Member, User
from labelcrew.domain.aggregation.em import DawidSkene
from labelcrew.domain.quality import false_alarms
from labelcrew.domain.quality.drift import tests as drift
from labelcrew.domain.quality.gold import gold_cap
from labelcrew.services.accounts.users import Actor
from labelcrew.services.quality import drift_scan
from labelcrew.services.quality.confusion_scan import confusion_findings
from labelcrew.services.uow import Database
from labelcrew.sim.annotators import SimAnnotator
from labelcrew.sim.config import SimConfig

SCHEMA_OPTIONS = "abcdefghijklmnopqrstuvwxyz"


@dataclass
class SimResult:
    labels_spent: int = 0
    gold_answers: int = 0
    aggregation_accuracy: float | None = None
    drift_latency: list[int | None] = field(default_factory=list)
    drift_kind: list[str | None] = field(default_factory=list)
    drift_trigger: list[str | None] = field(default_factory=list)
    checks_per_gold: float = 0.0
    false_alarms: int = 0
    confusion_false_alarms: int = 0
    steady_gold_answers: int = 0
    spammer_pause_after: list[int | None] = field(default_factory=list)
    paused: list[str] = field(default_factory=list)
    honeypot: dict[str, Any] = field(default_factory=dict)
    gold_tells: dict[str, Any] = field(default_factory=dict)

    def by_kind(self) -> dict[str, dict[str, Any]]:
        out: dict[str, list[int | None]] = defaultdict(list)
        for kind, latency in zip(self.drift_kind, self.drift_latency, strict=True):
            out[kind or "step"].append(latency)
        return {
            kind: {
                "latency_gold_answers": values,
                "median": _median(values),
                "caught": f"{sum(v is not None for v in values)}/{len(values)}",
            }
            for kind, values in sorted(out.items())
        }

    def as_dict(self) -> dict[str, Any]:
        caught = [x for x in self.drift_latency if x is not None]
        return {
            "labels_spent": self.labels_spent,
            "gold_answers": self.gold_answers,
            "aggregation_accuracy": self.aggregation_accuracy,
            "drift_detection_latency_gold_answers": self.drift_latency,
            "drift_detection_latency_median": float(np.median(caught)) if caught else None,
            "drifters_caught": f"{len(caught)}/{len(self.drift_latency)}",
            "drift_by_kind": self.by_kind(),
            "drift_first_alarm_by": self.drift_trigger,
            "agreement_checks_per_gold": self.checks_per_gold,
            "false_alarms": self.false_alarms,
            "false_alarms_per_10000_gold": _per_10k(self.false_alarms, self.steady_gold_answers),
            "confusion_false_alarms": self.confusion_false_alarms,
            "steady_gold_answers": self.steady_gold_answers,
            "spammers_paused_after_gold_answers": self.spammer_pause_after,
            "paused_members": self.paused,
            "honeypots": self.honeypot,
            "gold_serving_tells": self.gold_tells,
        }


def _median(values: list[int | None]) -> float | None:
    caught = [v for v in values if v is not None]
    return float(np.median(caught)) if caught else None


def _per_10k(alarms: int, gold: int) -> float | None:
    return round(alarms * 10000 / gold, 2) if gold else None


def _first_alarm_end(
    alarms: list[drift.DriftAlarm], confused: list[dict[str, Any]], start: int
) -> tuple[int, str] | None:
    """The first alarm of either test that ends at or after annotation ``start``."""
    ends = [(a.end_at, a.trigger) for a in alarms if a.end_at >= start]
    ends += [(int(c["window"][1]), "confusion") for c in confused if c["window"][1] >= start]
    return min(ends) if ends else None


def honeypot_figures(answers: dict[int, list[bool]], team: list[SimAnnotator]) -> dict[str, Any]:
    """The honeypot rule (``HONEYPOT_ALERT`` misses among the latest ``HONEYPOT_WINDOW``)
    replayed at every honeypot answer: after how many answers each inattentive member was
    flagged, and how many attentive members it flagged."""
    window, needed = false_alarms.HONEYPOT_WINDOW, false_alarms.HONEYPOT_ALERT
    caught: list[int | None] = []
    flagged_attentive, attentive_answers = 0, 0

    def first_flag(hits: list[bool]) -> int | None:
        for n in range(1, len(hits) + 1):
            if sum(not h for h in hits[max(0, n - window) : n]) >= needed:
                return n
        return None

    for k, member in enumerate(team):
        hits = answers.get(k, [])
        if member.kind == "inattentive":
            caught.append(first_flag(hits))
        elif member.kind == "honest":
            attentive_answers += len(hits)
            flagged_attentive += first_flag(hits) is not None
    return {
        "inattentive_flagged_after_honeypot_answers": caught,
        "attentive_members_flagged": flagged_attentive,
        "attentive_honeypot_answers": attentive_answers,
    }


def gold_tells(
    served: dict[int, list[int]], gold: set[int], overlap: int, rate: float
) -> dict[str, Any]:
    """What a hostile annotator (or a few comparing notes) could count (issue 21, part 5):
    ``id_order_auc``, the chance that a served gold item has a lower id than a served ordinary
    one (0.5: no tell); ``over_overlap_precision``, the share of items served to more members
    than the overlap that are gold; ``after_long_gap_precision``, the share of items served
    after ``gold_cap - 1`` ordinary items in a row that are gold (1.0 with a capped gap)."""
    ids = [(i, i in gold) for seq in served.values() for i in seq]
    gold_ids = np.array([i for i, g in ids if g])
    other_ids = np.array([i for i, g in ids if not g])
    auc = None
    if gold_ids.size and other_ids.size:
        ranks = np.searchsorted(np.sort(other_ids), gold_ids, side="right")
        auc = round(float(1 - ranks.mean() / other_ids.size), 3)
    counts: dict[int, int] = defaultdict(int)
    for seq in served.values():
        for i in seq:
            counts[i] += 1
    over = [i for i, n in counts.items() if n > overlap]
    cap, after_gap, gold_after_gap = gold_cap(rate), 0, 0
    for seq in served.values():
        gap = 0
        for i in seq:
            if gap >= cap - 1:
                after_gap += 1
                gold_after_gap += i in gold
            gap = 0 if i in gold else gap + 1
    return {
        "id_order_auc": auc,
        "over_overlap_items": len(over),
        "over_overlap_precision": round(sum(i in gold for i in over) / len(over), 3)
        if over
        else None,
        "after_long_gap_items": after_gap,
        "after_long_gap_precision": round(gold_after_gap / after_gap, 3) if after_gap else None,
    }


def measure(
    db: Database,
    cfg: SimConfig,
    pid: int,
    team: list[SimAnnotator],
    actors: list[Actor],
    truth: np.ndarray,
    onset_answer: dict[int, int],
    done: int,
) -> SimResult:
    result = SimResult(labels_spent=done)
    options = [f"class_{SCHEMA_OPTIONS[k]}" for k in range(cfg.classes)]
    with db.uow(read_only=True) as uow:
        rows = uow.session.execute(
            select(
                Annotation.annotator_id,
                Annotation.item_id,
                Annotation.value,
                Annotation.gold_correct,
                Annotation.id,
            )
            .where(Annotation.project_id == pid)
            .order_by(Annotation.id)
        ).all()
        statuses = dict(
            uow.session.execute(
                select(User.username, Member.status)
                .join(Member, Member.user_id == User.id)
                .where(Member.project_id == pid)
            ).all()
        )
        kinds = dict(
            uow.session.execute(
                select(GoldAnswer.item_id, GoldAnswer.kind)
                .join(Item, Item.id == GoldAnswer.item_id)
                .where(Item.project_id == pid)
            ).all()
        )
        overlap_rows = drift_scan.measured_labels(uow, pid, "label", options)
        team_streams = drift_scan.member_streams(uow, pid, options, overlap_rows, "label")
        confused = confusion_findings(uow, pid)
    by_user = {a.user_id: k for k, a in enumerate(actors)}
    own_ids: dict[int, list[int]] = {k: [] for k in range(len(team))}
    gold_ids: dict[int, list[int]] = {k: [] for k in range(len(team))}
    honeypot_hits: dict[int, list[bool]] = defaultdict(list)
    served: dict[int, list[int]] = defaultdict(list)
    for annotator_id, item, _value, correct, annotation_id in rows:
        k = by_user[annotator_id]
        own_ids[k].append(annotation_id)
        served[k].append(item)
        if kinds.get(item) == "honeypot":
            honeypot_hits[k].append(bool(correct))
        elif correct is not None:
            gold_ids[k].append(annotation_id)
    result.gold_answers = sum(len(s) for s in gold_ids.values())
    peers = team_streams.peers
    if peers is not None:
        result.checks_per_gold = round(peers.pair_per_gold + peers.consensus_per_gold, 2)
    for k, member in enumerate(team):
        name = actors[k].username
        alarms = drift.detect_member_drift(team_streams.streams.get(name, {}), peers=peers)
        mine = [c for c in confused if c["member"] == name]
        gold = np.array(gold_ids[k], dtype=np.int64)
        if member.kind == "drifter":
            onset = onset_answer.get(k)
            start = own_ids[k][onset] if onset is not None and onset < len(own_ids[k]) else None
            first = None if start is None else _first_alarm_end(alarms, mine, start)
            result.drift_kind.append(member.drift_kind)
            result.drift_latency.append(
                None
                if first is None or start is None
                else int(((gold >= start) & (gold <= first[0])).sum())
            )
            result.drift_trigger.append(None if first is None else first[1])
        elif member.kind in ("honest", "inattentive"):
            result.false_alarms += len(alarms)
            result.confusion_false_alarms += len(mine)
            result.steady_gold_answers += int(gold.size)
        else:
            paused = statuses.get(name) == "paused"
            result.spammer_pause_after.append(int(gold.size) if paused else None)
    result.paused = sorted(n for n, s in statuses.items() if s == "paused")
    result.honeypot = honeypot_figures(honeypot_hits, team)
    overlap = 1 if cfg.dynamic else cfg.overlap
    result.gold_tells = gold_tells(served, set(kinds), overlap, cfg.gold_rate)
    labelled = [
        (item, annotator_id, options.index(v["label"]))
        for annotator_id, item, v, correct, _ in rows
        if correct is None
    ]
    if labelled:
        items = np.array([x[0] for x in labelled])
        workers = np.array([x[1] for x in labelled])
        labels = np.array([x[2] for x in labelled])
        uniq, item_codes = np.unique(items, return_inverse=True)
        _, worker_codes = np.unique(workers, return_inverse=True)
        model = DawidSkene().fit(item_codes, worker_codes, labels, n_classes=cfg.classes)
        result.aggregation_accuracy = round(float(np.mean(model.labels_ == truth[uniq])), 4)
    return result
