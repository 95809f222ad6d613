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
``caution`` posterior standard deviations (:func:`estimate_baseline`). ``p1 = p0 - drop`` where
the drop is ``shift`` for gold and, for agreement, the drop the one-coin model predicts
(:class:`ConsensusModel`) with the others at the project's gold accuracy.

The prior is the team's (issue 21): with agreement checks the Beta prior is centred on the
project's pooled gold accuracy (and the agreement that accuracy predicts) with the weight of
``team_prior_strength`` observations per kind, and the chart runs from the first observation.
A new member is judged against the team until their own in-control history outweighs it, so a
drift near their 100th answer is caught instead of becoming their baseline (the old warm-up,
100 observations counted after a lag of 100, kept every chart silent for the first ~220-250
answers). The constants were calibrated by simulating the null over short histories (300 gold
answers per steady member, accuracy U(0.8, 0.95), 4 classes, gold rate 7 %: the regime a real
team is in, where estimation error dominates) rather than over 10,000 answers, where it
vanishes: see bench/RESULTS.md, section "drift calibration".
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
    accuracy_spread: float | None = None  # between-member SD of gold accuracy, if known


def accuracy_spread(correct: ArrayLike, answered: ArrayLike) -> float | None:
    """Between-member standard deviation of gold accuracy by the method of moments: the
    variance of the members' observed accuracies less the binomial noise each carries
    (``p (1 - p) / (n - 1)``, the unbiased per-member variance), as in random-effects
    meta-analysis of proportions (DerSimonian & Laird 1986). ``None`` with fewer than three
    members of at least two answers."""
    k, n = np.asarray(correct, dtype=float), np.asarray(answered, dtype=float)
    keep = n >= 2
    if int(keep.sum()) < 3:
        return None
    p = k[keep] / n[keep]
    noise = float(np.mean(p * (1 - p) / (n[keep] - 1)))
    return float(np.sqrt(max(float(np.var(p, ddof=1)) - noise, 0.0)))


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
    baseline estimate (:func:`estimate_baseline`) on gold alone; with agreement checks the prior
    is the team's accuracy (``PeerRates.others_accuracy``) at ``team_prior_strength``, and the
    agreement priors follow from the model."""

    shift: float = 0.2
    target_arl0: float = 10_000.0
    warmup: int = 0
    lag: int = 80
    gold_warmup: int = 30
    gold_lag: int = 50
    prior_accuracy: float = 0.85
    prior_strength: float = 10.0
    team_prior_strength: float = 200.0
    min_team_prior_strength: float = 20.0
    caution: float = 1.0

    def team_strength(self, peers: PeerRates) -> float:
        """The team prior's weight in observations: empirical Bayes, a Beta whose spread is the
        team's (``m (1 - m) / sd^2 - 1``), so a member is judged against the band the team's
        steady members actually fall in; ``team_prior_strength`` when the spread is unknown or
        smaller than that weight allows."""
        spread = peers.accuracy_spread
        if spread is None or spread <= 0:
            return self.team_prior_strength
        m = float(peers.others_accuracy)
        fitted = m * (1 - m) / spread**2 - 1
        return float(np.clip(fitted, self.min_team_prior_strength, self.team_prior_strength))

    def plan(self, peers: PeerRates | None = None) -> ChartPlan:
        if not 0.0 < self.shift < 1.0:
            raise ValidationFailed(
                f"shift must be in (0, 1), got {self.shift}", code="drift_bad_design", field="shift"
            )
        per_gold, drops, priors = [1.0, 0.0, 0.0], [self.shift, 0.0, 0.0], [self.prior_accuracy] * 3
        if peers is not None:
            team = float(peers.others_accuracy)
            for k, (others, rate) in enumerate(
                ((1, peers.pair_per_gold), (2, peers.consensus_per_gold)), start=1
            ):
                model = ConsensusModel(peers.n_classes, peers.others_accuracy, others)
                drop = model.agreement_drop(self.shift)
                if rate > 0 and drop > 0:
                    per_gold[k], drops[k] = rate, drop
                    priors[k] = round(model.agreement(team), 3)
        checks = per_gold[1] + per_gold[2] > 0
        if checks and peers is not None:
            priors[0] = round(float(peers.others_accuracy), 3)
        return ChartPlan(
            per_gold=(per_gold[0], per_gold[1], per_gold[2]),
            drops=(drops[0], drops[1], drops[2]),
            priors=(priors[0], priors[1], priors[2]),
            target_arl0=self.target_arl0,
            warmup=self.warmup if checks else self.gold_warmup,
            lag=self.lag if checks else self.gold_lag,
            prior_strength=(
                self.team_strength(peers) if checks and peers is not None else self.prior_strength
            ),
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
