"""Drift scan over stored labels: each member's gold answers and agreement checks, and alerts.

The scan reads, for the project's primary field, every member's gold answers (right or wrong)
and every live label on an overlap item, turns the latter into agreement checks against the
other annotators (:func:`labelcrew.domain.quality.drift.tests.peer_agreement`: the first two labels of an
item against each other, the third against the first two when they agree), and reruns each
member's drift chart over the whole history (:func:`labelcrew.domain.quality.drift.tests.detect_member_drift`).
Keys are annotation ids: a gold answer counts from its own annotation, a check from the
annotation that completed it. The one-coin model takes the others' accuracy from the project's
pooled gold answers, and the chart's design the project's checks per gold answer.

`find` reruns the charts from what a (read-only) unit of work reads and `raise_found` writes
the alerts in a short one after it (``quality.scan_drift``), so on SQLite no submit waits on
the write lock while the whole history is recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import select

from labelcrew.db.models.core import Annotation, Item, User
from labelcrew.domain.quality.drift import tests as drift
from labelcrew.domain.quality.effort import describe as describe_effort
from labelcrew.services.quality.alerts import raise_alert, resolved_overlap, was_resolved
from labelcrew.services.quality.gold_scope import knowledge_answers
from labelcrew.services.uow import UnitOfWork

EVIDENCE_ITEMS = 50  # item ids kept per stream in an alert's evidence
PRIOR_ACCURACY, PRIOR_STRENGTH = 0.85, 20.0  # for the others' accuracy before gold piles up


@dataclass
class TeamStreams:
    """Every member's streams by kind (``gold``, ``pair``, ``consensus``) and how agreement
    checks arrive in the project (``None`` when it has none)."""

    streams: dict[str, dict[str, drift.MemberStream]] = field(default_factory=dict)
    peers: drift.PeerRates | None = None

    def add(self, kind: str, by_member: dict[str, drift.MemberStream]) -> None:
        for member, stream in by_member.items():
            self.streams.setdefault(member, {})[kind] = stream

    def count(self, kind: str) -> int:
        return sum(len(s[kind]) for s in self.streams.values() if kind in s)


def _gold_rows(uow: UnitOfWork, project_id: int) -> list[Any]:
    """Every scored gold answer that judges understanding (`gold_scope`), oldest first."""
    return list(
        uow.session.execute(
            select(Annotation.id, User.username, Annotation.item_id, Annotation.gold_correct)
            .join(User, User.id == Annotation.annotator_id)
            .where(Annotation.project_id == project_id, knowledge_answers(uow, project_id))
            .order_by(Annotation.id)
        )
    )


def live_labels(uow: UnitOfWork, project_id: int) -> Iterable[Any]:
    """Live labels on non-gold items, oldest first: (id, item_id, username, value) rows."""
    return uow.session.execute(
        select(Annotation.id, Annotation.item_id, User.username, Annotation.value)
        .join(Item, Item.id == Annotation.item_id)
        .join(User, User.id == Annotation.annotator_id)
        .where(
            Annotation.project_id == project_id,
            Annotation.superseded_at.is_(None),
            Item.is_gold.is_(False),
        )
        .order_by(Annotation.id)
    )


def measured_labels(
    uow: UnitOfWork, project_id: int, field_name: str, categories: list[str]
) -> list[Any]:
    """Live labels on non-gold items whose ``field_name`` holds one of ``categories``, oldest
    first."""
    return [r for r in live_labels(uow, project_id) if r.value.get(field_name) in categories]


def _streams_by_member(
    ats: np.ndarray, success: np.ndarray, items: np.ndarray, members: np.ndarray
) -> dict[str, drift.MemberStream]:
    out = {}
    for member in np.unique(members):
        mine = members == member
        out[str(member)] = drift.MemberStream(ats[mine], success[mine], items[mine].tolist())
    return out


def member_streams(
    uow: UnitOfWork, project_id: int, categories: list[str], labels: list[Any], field_name: str
) -> TeamStreams:
    """Every member's streams; ``labels`` are the project's overlap labels with a value in
    ``categories`` (from :func:`measured_labels`)."""
    team = TeamStreams()
    gold = _gold_rows(uow, project_id)
    if gold:
        team.add(
            drift.GOLD,
            _streams_by_member(
                np.array([r.id for r in gold], dtype=np.int64),
                np.array([bool(r.gold_correct) for r in gold]),
                np.array([r.item_id for r in gold]),
                np.array([r.username for r in gold]),
            ),
        )
    if not labels:
        return team
    items = np.array([r.item_id for r in labels])
    members = np.array([r.username for r in labels])
    found = drift.peer_agreement(
        items,
        members,
        [categories.index(r.value[field_name]) for r in labels],
        order=np.array([r.id for r in labels], dtype=np.int64),
    )
    for kind in (drift.PAIR, drift.CONSENSUS):
        mine = found.kind == drift.KINDS.index(kind)
        team.add(
            kind,
            _streams_by_member(
                found.available_at[mine], found.agrees[mine], items[mine], members[mine]
            ),
        )
    answered = team.count(drift.GOLD)
    checks = team.count(drift.PAIR) + team.count(drift.CONSENSUS)
    if checks and len(categories) >= 2:
        right = sum(
            int(np.sum(s[drift.GOLD].success)) for s in team.streams.values() if s.get(drift.GOLD)
        )
        accuracy = (right + PRIOR_ACCURACY * PRIOR_STRENGTH) / (answered + PRIOR_STRENGTH)
        golds = [
            np.asarray(s[drift.GOLD].success) for s in team.streams.values() if s.get(drift.GOLD)
        ]
        team.peers = drift.PeerRates(
            n_classes=len(categories),
            others_accuracy=float(np.clip(accuracy, 1.0 / len(categories) + 0.01, 0.99)),
            pair_per_gold=team.count(drift.PAIR) / max(answered, 1),
            consensus_per_gold=team.count(drift.CONSENSUS) / max(answered, 1),
            accuracy_spread=drift.accuracy_spread(
                [int(np.sum(g)) for g in golds], [g.size for g in golds]
            ),
        )
    return team


Found = list[tuple[str, str, Any]]  # ("accuracy", member, DriftAlarm) | ("shift", member, Alert)


def find(
    uow: UnitOfWork,
    project_id: int,
    field_name: str | None,
    categories: list[str],
    *,
    shift_window: int = 200,
) -> Found:
    """Both drift tests of every member, computed from what `uow` reads; raises nothing, so a
    read-only unit of work will do (no write lock held while the charts rerun). Without a
    field (no single-choice field in the schema) the gold chart alone."""
    if field_name is None:
        return accuracy_alarms(member_streams(uow, project_id, [], [], ""))
    labels = measured_labels(uow, project_id, field_name, categories)
    team = member_streams(uow, project_id, categories, labels, field_name)
    return accuracy_alarms(team) + shift_alarms(
        field_name, categories, labels, shift_window=shift_window
    )


def raise_found(
    uow: UnitOfWork,
    project_id: int,
    found: Found,
    effort: Mapping[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Raise (or refresh) the alert of each finding, with the member's effort evidence
    (`effort_evidence.effort_of`); a short write, after `find`."""
    raised = []
    for kind, member, alarm in found:
        signals = (effort or {}).get(member)
        if kind == "accuracy":
            out = raise_member_alert(uow, project_id, member, alarm, signals)
        else:
            out = raise_shift_alert(uow, project_id, member, alarm, signals)
        if out is not None:
            raised.append(out)
    return raised


def accuracy_alarms(team: TeamStreams) -> Found:
    """The latest alarm of each member whose drift chart has one."""
    found: Found = []
    for member in sorted(team.streams):
        alarms = drift.detect_member_drift(team.streams[member], peers=team.peers)
        if alarms:
            found.append(("accuracy", member, alarms[-1]))
    return found


def _stream_evidence(evidence: drift.StreamEvidence) -> dict[str, Any]:
    return {
        "n": evidence.n,
        "successes": evidence.successes,
        "rate": evidence.rate,
        "baseline": evidence.baseline,
        "drifted": evidence.drifted,
        "nats": evidence.nats,
        "items": [str(i) for i in evidence.item_ids][-EVIDENCE_ITEMS:],
    }


def _alert_evidence(alert: drift.Alert, window: list[Any]) -> dict[str, Any]:
    """What every member alert records: the window, the rates, the test and the last items."""
    return {
        "window": window,
        "before_rate": alert.before_rate,
        "after_rate": alert.after_rate,
        "statistic": alert.statistic,
        "threshold": alert.threshold,
        "items": [str(i) for i in alert.item_ids][-EVIDENCE_ITEMS:],
        **{k: v for k, v in alert.details.items() if isinstance(v, int | float | str)},
    }


WHAT = {
    drift.GOLD: "gold answers right",
    drift.PAIR: "agreed with the item's other first label",
    drift.CONSENSUS: "agreed with the two labels before theirs",
}


def raise_member_alert(
    uow: UnitOfWork,
    project_id: int,
    member: str,
    alarm: drift.DriftAlarm,
    effort: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Raise (or refresh) the member's drift alert; None when a lead resolved this alarm."""
    alert = alarm.alert
    window = [alarm.start_at, alarm.end_at]
    subject = f"member:{member}"
    if was_resolved(uow, project_id=project_id, kind=alert.kind, subject=subject, window=window):
        return None
    evidence = {
        "trigger": alarm.trigger,
        **_alert_evidence(alert, window),
        "streams": {name: _stream_evidence(e) for name, e in alarm.streams.items()},
    }
    parts = [
        f"{e.successes} of {e.n} {WHAT[name]} (expected {e.baseline:.2f})"
        for name, e in alarm.streams.items()
        if e.n
    ]
    message = f"{member}'s accuracy looks lower since annotation {alarm.start_at}: " + "; ".join(
        parts
    )
    message, evidence = _with_effort(message, evidence, effort)
    return _raise(uow, project_id, member, alert.kind, message, evidence)


def _with_effort(
    message: str, evidence: dict[str, Any], effort: dict[str, Any] | None
) -> tuple[str, dict[str, Any]]:
    """The effort signals as evidence, and in the message when one fired (rushing or
    straight-lining points at attention, not at a knowledge gap)."""
    if not effort:
        return message, evidence
    fired = describe_effort(effort)
    return (f"{message}. Also: {fired}" if fired else message), {**evidence, "effort": effort}


def _raise(
    uow: UnitOfWork,
    project_id: int,
    member: str,
    kind: str,
    message: str,
    evidence: dict[str, Any],
) -> dict[str, Any]:
    raise_alert(
        uow,
        project_id=project_id,
        kind=kind,
        subject=f"member:{member}",
        message=message,
        evidence=evidence,
    )
    return {"member": member, "kind": kind, "message": message, "evidence": evidence}


def raise_shift_alert(
    uow: UnitOfWork,
    project_id: int,
    member: str,
    alert: drift.Alert,
    effort: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Raise (or refresh) the member's label-shift alert; None when a lead resolved an alarm
    on overlapping labels (`alert.start`/`end` are annotation ids, see `shift_alarms`)."""
    subject = f"member:{member}"
    window = [alert.start, alert.end]
    if resolved_overlap(
        uow, project_id=project_id, kind=alert.kind, subject=subject, window=window
    ):
        return None
    evidence = _alert_evidence(alert, window)
    message = (
        f"{member}'s label distribution differs from the team's (chi-square {alert.statistic:.1f})"
    )
    message, evidence = _with_effort(message, evidence, effort)
    return _raise(uow, project_id, member, alert.kind, message, evidence)


def shift_alarms(
    field_name: str, categories: list[str], labels: list[Any], *, shift_window: int = 200
) -> Found:
    """Chi-square test of each member's latest ``shift_window`` labels against the rest of the
    team's labels in the same period (``labels`` from :func:`measured_labels`, oldest first).
    Each member's own latest labels, however many others labelled since: a window cut from the
    project's latest labels gave a member of a large team a fraction of it."""
    code = {c: k for k, c in enumerate(categories)}
    ids = np.array([r.id for r in labels], dtype=np.int64)
    by_member: dict[str, list[Any]] = {}
    for r in labels:
        by_member.setdefault(r.username, []).append(r)
    found: Found = []
    for member in sorted(by_member):
        mine = by_member[member][-shift_window:]
        since = int(np.searchsorted(ids, mine[0].id))  # labels are in id order
        team = [code[r.value[field_name]] for r in labels[since:] if r.username != member]
        _, alert = drift.label_shift(
            [code[r.value[field_name]] for r in mine],
            team,
            len(categories),
            item_ids=[r.item_id for r in mine],
        )
        if alert is not None:
            # the window as annotation ids, not positions in it: positions are always
            # 0..n-1, so a resolved alarm would match every later one of the member
            found.append(("shift", member, replace(alert, start=mine[0].id, end=mine[-1].id)))
    return found
