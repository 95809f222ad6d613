"""Drift per member: one CUSUM over gold answers and agreement checks together.

A member's evidence comes in three kinds of Bernoulli observation: ``gold`` (right or wrong),
and the two agreement checks of :mod:`labelcrew.domain.quality.drift.consensus`, ``pair`` and
``consensus``. At gold rate 10 % and overlap 3 a member gets about 6 pair and 2.3 consensus
checks per gold answer. All of them feed one log-likelihood-ratio CUSUM (Page 1954; the
Bernoulli case of Reynolds & Stoumbos 1999; design and exact run length in
:mod:`labelcrew.domain.quality.drift.llr`), whose limit is set for at most one false alarm per
``target_arl0`` gold answers.

Per kind the chart needs the in-control success rate ``p0`` and the rate ``p1`` after an
accuracy drop of ``shift``. ``p0`` is self-starting (after Hawkins 1987): an observation that
arrives while the chart sits at zero carries no sign of a change, so it joins the member's
counts of its kind ``lag`` observations later; the counts give a Beta-posterior rate lowered by
``caution`` posterior standard deviations (:func:`estimate_baseline`), and there is no alarm
until ``warmup`` observations are counted. ``p1 = p0 - drop`` where the drop is ``shift`` for
gold and, for agreement, the drop the one-coin model predicts (:class:`ConsensusModel`) with
the others at the project's gold accuracy.

Measured with ``labelcrew bench drift`` (bench/RESULTS.md, section drift): a drop 0.9 -> 0.7 is
flagged after a median 9 gold answers (gold answers alone: 40) at 0.57 false alarms per 10,000
gold answers of steady members.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labelcrew.domain.quality.drift.alert import ACCURACY_DROP, Alert
from labelcrew.domain.quality.drift.consensus import ConsensusModel
from labelcrew.domain.quality.drift.cusum import estimate_baseline
from labelcrew.domain.quality.drift.llr import SCALE, LlrDesign, design_llr_cusum
from labelcrew.errors import ValidationFailed

GOLD, PAIR, CONSENSUS = "gold", "pair", "consensus"
KINDS = (GOLD, PAIR, CONSENSUS)  # codes 0, 1, 2: drift_consensus.PAIR_CHECK, CONSENSUS_CHECK


@dataclass(frozen=True)
class PeerRates:
    """How agreement checks arrive in a project: checks per gold answer of each kind, the
    number of classes and the others' accuracy (for the one-coin model)."""

    n_classes: int
    others_accuracy: float
    pair_per_gold: float
    consensus_per_gold: float


@dataclass(frozen=True)
class ChartPlan:
    """Everything one member's chart needs, per kind in the order of ``KINDS``."""

    per_gold: tuple[float, float, float]
    drops: tuple[float, float, float]
    priors: tuple[float, float, float]
    target_arl0: float
    warmup: int
    lag: int
    prior_strength: float
    caution: float

    def baselines(self, n_success: ArrayLike, n: ArrayLike) -> NDArray[np.float64]:
        """Cautious in-control success rates from counts shaped (..., kinds)."""
        found = estimate_baseline(
            n_success, n, np.array(self.priors), self.prior_strength, self.caution
        )
        return np.clip(found, 0.05, 0.99)

    def design(self, baselines: Sequence[float] | NDArray[np.float64]) -> LlrDesign:
        return design_llr_cusum(
            tuple(float(b) for b in baselines), self.drops, self.per_gold, self.target_arl0
        )


@dataclass(frozen=True)
class MemberDriftOptions:
    """``shift``: accuracy drop to detect. ``target_arl0``: in-control ARL in gold answers
    (at most one false alarm per that many). ``warmup`` / ``lag``: in observations of any kind;
    ``gold_warmup`` / ``gold_lag`` replace them where there are no agreement checks (about the
    same number of gold answers). ``prior_accuracy``, ``prior_strength``, ``caution``: the
    baseline estimate (:func:`estimate_baseline`); agreement priors follow from the model."""

    shift: float = 0.2
    target_arl0: float = 10_000.0
    warmup: int = 100
    lag: int = 100
    gold_warmup: int = 30
    gold_lag: int = 50
    prior_accuracy: float = 0.85
    prior_strength: float = 10.0
    caution: float = 0.25

    def plan(self, peers: PeerRates | None = None) -> ChartPlan:
        if not 0.0 < self.shift < 1.0:
            raise ValidationFailed(
                f"shift must be in (0, 1), got {self.shift}", code="drift_bad_design", field="shift"
            )
        per_gold, drops, priors = [1.0, 0.0, 0.0], [self.shift, 0.0, 0.0], [self.prior_accuracy] * 3
        if peers is not None:
            for k, (others, rate) in enumerate(
                ((1, peers.pair_per_gold), (2, peers.consensus_per_gold)), start=1
            ):
                model = ConsensusModel(peers.n_classes, peers.others_accuracy, others)
                drop = model.agreement_drop(self.shift)
                if rate > 0 and drop > 0:
                    per_gold[k], drops[k] = rate, drop
                    priors[k] = round(model.agreement(self.prior_accuracy), 3)
        checks = per_gold[1] + per_gold[2] > 0
        return ChartPlan(
            per_gold=(per_gold[0], per_gold[1], per_gold[2]),
            drops=(drops[0], drops[1], drops[2]),
            priors=(priors[0], priors[1], priors[2]),
            target_arl0=self.target_arl0,
            warmup=self.warmup if checks else self.gold_warmup,
            lag=self.lag if checks else self.gold_lag,
            prior_strength=self.prior_strength,
            caution=self.caution,
        )


@dataclass(frozen=True)
class StreamEvidence:
    """One kind over an alarm's run: observations, successes, the rates the chart weighed
    them against, and ``nats``: the log-likelihood ratio this kind added to the alarm."""

    stream: str
    n: int
    successes: int
    baseline: float
    drifted: float
    nats: float
    item_ids: tuple[Hashable, ...]

    @property
    def rate(self) -> float | None:
        return self.successes / self.n if self.n else None


@dataclass(frozen=True)
class DriftAlarm:
    """The chart fired. The window runs from the first observation of the run (Page's estimate
    of the change) to the one that fired, in the caller's ``at`` keys; ``streams`` holds every
    kind's part of it and ``trigger`` names the kind that added the most evidence."""

    trigger: str
    start_at: int
    end_at: int
    alert: Alert
    streams: dict[str, StreamEvidence] = field(default_factory=dict)


class MemberDriftDetector:
    """Streaming drift test of one member over all kinds of evidence.

    Feed observations in order of ``at`` (annotation ids, or answer counts):
    ``observe(kind, success, item_id, at)``. Returns a :class:`DriftAlarm` when the chart
    fires, then restarts it from zero (the baselines are kept). Kinds the plan has no rate for
    (agreement checks in a project without overlap) are ignored.
    """

    def __init__(
        self, options: MemberDriftOptions | None = None, peers: PeerRates | None = None
    ) -> None:
        self.plan = (options or MemberDriftOptions()).plan(peers)
        self.position = -1
        self.statistic = 0  # lattice units: nats * SCALE
        self.base_n = np.zeros(len(KINDS), dtype=np.int64)
        self.base_success = np.zeros(len(KINDS), dtype=np.int64)
        self._baselines = self.plan.baselines(self.base_success, self.base_n)
        self._pending: deque[tuple[bool, int, bool]] = deque()
        # position, kind, item, success, at, step of each observation since the chart left 0
        self._run: list[tuple[int, int, Hashable, bool, int, int]] = []
        self._last_at: int | None = None

    @property
    def ready(self) -> bool:
        return int(self.base_n.sum()) >= self.plan.warmup

    def design(self) -> LlrDesign:
        """The chart in force for the next observation."""
        return self.plan.design(self._baselines)

    def observe(self, kind: str, success: bool, item_id: Hashable, at: int) -> DriftAlarm | None:
        if kind not in KINDS:
            raise ValidationFailed(
                f"unknown kind {kind!r}; use one of {KINDS}", code="drift_bad_stream", field="kind"
            )
        if self._last_at is not None and at < self._last_at:
            raise ValidationFailed(
                f"observations must come in order of 'at': {at} after {self._last_at}",
                code="drift_out_of_order",
                field="at",
            )
        self._last_at = at
        j = KINDS.index(kind)
        if self.plan.per_gold[j] == 0:
            return None
        self.position += 1
        self._pending.append((self.statistic == 0, j, bool(success)))
        if len(self._pending) > self.plan.lag:
            in_control, old, hit = self._pending.popleft()
            if in_control:
                self.base_n[old] += 1
                self.base_success[old] += hit
                self._baselines = self.plan.baselines(self.base_success, self.base_n)
        if not self.ready:
            return None
        design = self.design()
        step = -design.down[j] if success else design.up[j]
        self.statistic = max(0, self.statistic + step)
        if self.statistic == 0:
            self._run = []
            return None
        self._run.append((self.position, j, item_id, bool(success), at, step))
        if self.statistic < design.limit:
            return None
        alarm = _alarm(design, self._run, self.statistic)
        self.statistic = 0
        self._run = []
        return alarm


def _alarm(
    design: LlrDesign, run: list[tuple[int, int, Hashable, bool, int, int]], statistic: int
) -> DriftAlarm:
    # The run since the chart last sat at zero is Page's estimate of where the change began.
    streams = {}
    for j, name in enumerate(KINDS):
        if design.per_gold[j] == 0:
            continue
        mine = [(item, hit, step) for _, kind, item, hit, _, step in run if kind == j]
        hits = sum(hit for _, hit, _ in mine)
        nats = sum(step for _, _, step in mine) / SCALE  # as added, whatever design was in force
        streams[name] = StreamEvidence(
            name,
            len(mine),
            hits,
            design.baselines[j],
            design.drifted[j],
            nats,
            tuple(item for item, _, _ in mine),
        )
    trigger = max(streams.values(), key=lambda s: s.nats)
    return DriftAlarm(
        trigger=trigger.stream,
        start_at=run[0][4],
        end_at=run[-1][4],
        alert=Alert(
            kind=ACCURACY_DROP,
            start=run[0][0],
            end=run[-1][0],
            before_rate=trigger.baseline,
            after_rate=trigger.rate if trigger.rate is not None else trigger.baseline,
            statistic=statistic / SCALE,
            threshold=design.threshold,
            item_ids=tuple(r[2] for r in run),
            details={"n": len(run), "arl0": design.arl0},
        ),
        streams=streams,
    )


@dataclass(frozen=True)
class MemberStream:
    """One kind of one member's evidence as plain arrays: ``at`` keys, successes, item ids."""

    at: Sequence[int] | ArrayLike
    success: Sequence[bool] | ArrayLike
    item_ids: Sequence[Hashable]

    def __len__(self) -> int:
        return len(self.item_ids)


def merge_streams(streams: dict[str, MemberStream]) -> list[tuple[int, str, bool, Hashable]]:
    """All kinds of one member in order of ``at`` (gold, then pair, then consensus at a tie;
    within a kind, in the order given): ``(at, kind, success, item_id)``."""
    rows: list[tuple[int, int, int, bool, Hashable]] = []
    for name, stream in streams.items():
        if name not in KINDS:
            raise ValidationFailed(
                f"unknown kind {name!r}; use one of {KINDS}", code="drift_bad_stream", field=name
            )
        at = np.asarray(stream.at, dtype=np.int64)
        success = np.asarray(stream.success, dtype=bool)
        if not at.size == success.size == len(stream):
            raise ValidationFailed(
                f"the {name} stream has {at.size} keys, {success.size} values and "
                f"{len(stream)} item ids",
                code="drift_ids_mismatch",
                field=name,
            )
        rank = KINDS.index(name)
        rows.extend(
            (int(a), rank, i, bool(s), stream.item_ids[i])
            for i, (a, s) in enumerate(zip(at, success, strict=True))
        )
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return [(at, KINDS[rank], hit, item) for at, rank, _, hit, item in rows]


def detect_member_drift(
    streams: dict[str, MemberStream],
    *,
    options: MemberDriftOptions | None = None,
    peers: PeerRates | None = None,
) -> list[DriftAlarm]:
    """Every alarm over one member's whole history (recomputation from stored labels)."""
    detector = MemberDriftDetector(options, peers)
    alarms = []
    for at, kind, hit, item in merge_streams(streams):
        alarm = detector.observe(kind, hit, item, at)
        if alarm is not None:
            alarms.append(alarm)
    return alarms
