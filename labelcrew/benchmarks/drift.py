"""Benchmark: drift detection delay and false alarms, gold only against gold + agreement checks.

Many simulated members work a realistic mix: each answer is a gold item with probability
``gold_rate`` and otherwise an overlap item labelled by ``overlap`` annotators, the member at a
uniformly drawn place among them; the others come from a team made by
:func:`labelcrew.sim.annotators.make_team` (accuracy U(0.8, 0.95), confusion patterns uniform /
adjacent / next, ``team_drifters`` of them drift early). An item's second label arrives
``0..max_lag`` of the member's answers after its first. The labels go through
:func:`labelcrew.domain.quality.drift.tests.peer_agreement` and the charts are exactly those of
:class:`labelcrew.domain.quality.drift.tests.MemberDriftDetector` (same plan from the realised rates of
agreement checks per gold answer, as the drift scan computes them), run vectorised over members
with :func:`labelcrew.domain.quality.drift.tests.member_alarms`.

Drifting members go from ``accuracy`` to ``accuracy - drop`` after ``gold_before`` gold answers
(in expectation), at once (``drift_kind`` step), linearly over ``gradual_span`` answers
(gradual), or start giving one class for the next for 65 % of that class's items (confusion:
overall accuracy moves by about a sixth of that); the delay is the number of gold answers the member gave from the change to
the alarm, both included, among members with no alarm before the change. Steady members keep
an accuracy drawn from ``steady_accuracy`` for ``steady_gold`` gold answers each; every alarm
is a false alarm, counted per 10,000 of their gold answers. "Gold only" is the same chart with
no agreement checks (a project without overlap).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelcrew.domain.quality.drift.tests import (
    ChartPlan,
    MemberDriftOptions,
    PeerRates,
    member_alarms,
    peer_agreement,
)
from labelcrew.errors import ValidationFailed
from labelcrew.sim.annotators import (
    PATTERNS,
    SimAnnotator,
    confused_matrix,
    confusion_matrix,
    make_team,
)

BENCH_KINDS = ("step", "gradual", "confusion")
TICK = 4  # order keys per answer: room for the labels of one item around the member's own


@dataclass(frozen=True)
class DriftBenchConfig:
    drifting: int = 2000
    gold_before: int = 300
    gold_after: int = 150
    steady: int = 200
    steady_gold: int = 10_000
    steady_accuracy: tuple[float, float] = (0.9, 0.9)
    accuracy: float = 0.9
    drop: float = 0.2
    gold_rate: float = 0.1
    overlap: int = 3
    classes: int = 5
    team: int = 50
    team_drifters: int = 5
    max_lag: int = 2
    seed: int = 1
    drift_kind: str = "step"  # step, gradual (over `gradual_span` answers) or confusion
    gradual_span: int = 300

    def __post_init__(self) -> None:
        if self.drift_kind not in BENCH_KINDS:
            raise ValidationFailed(
                f"unknown drift kind {self.drift_kind!r}; use one of {BENCH_KINDS}",
                code="bench_bad_kind",
                field="kind",
            )


@dataclass
class Observations:
    """Every member's observations in the order the chart sees them, padded with kind -1:
    ``kind`` (0 gold, 1 pair, 2 consensus), ``success`` and ``at`` (answer position)."""

    kind: NDArray[np.int64]
    success: NDArray[np.bool_]
    at: NDArray[np.int64]
    gold_positions: list[NDArray[np.int64]]
    counts: tuple[int, int, int]  # gold answers, pair and consensus checks, all members

    def rates(self, cfg: DriftBenchConfig, team_accuracy: float, spread: float) -> PeerRates:
        gold, pair, consensus = self.counts
        return PeerRates(cfg.classes, team_accuracy, pair / gold, consensus / gold, spread)


def _draw(cumulative: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.int64]:
    """One class per row of a (n, K) cumulative distribution."""
    draws = np.asarray(rng.random(cumulative.shape[0]))
    picked = (draws[:, None] >= cumulative).sum(axis=1)
    chosen: NDArray[np.int64] = np.minimum(picked, cumulative.shape[1] - 1).astype(np.int64)
    return chosen


def _team(cfg: DriftBenchConfig) -> tuple[NDArray[Any], NDArray[Any], float]:
    """Cumulative confusion (member, drifted?, truth, K), drift onset and mean accuracy."""
    team = make_team(cfg.team, cfg.team_drifters, 0, cfg.classes, np.random.default_rng(cfg.seed))
    cum = np.stack(
        [
            np.stack([m.confusion, m.confusion if m.drift_confusion is None else m.drift_confusion])
            for m in team
        ]
    ).cumsum(axis=-1)
    onset = np.array([2**62 if m.drift_at is None else m.drift_at for m in team])
    return cum, onset, float(np.mean([m.accuracy_at(0) for m in team]))


def _spread(cfg: DriftBenchConfig, members: NDArray[np.float64]) -> float:
    """Between-member SD of accuracy over the team and the members measured together: what
    the scan estimates from everyone's gold answers (`accuracy_spread`)."""
    team = make_team(cfg.team, cfg.team_drifters, 0, cfg.classes, np.random.default_rng(cfg.seed))
    return float(np.std(np.concatenate([[m.accuracy_at(0) for m in team], members]), ddof=1))


def _member(
    member: SimAnnotator,
    team: tuple[NDArray[Any], NDArray[Any], float],
    n: int,
    cfg: DriftBenchConfig,
    rng: np.random.Generator,
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """(kind, success, at) of one member's observations in chart order, and gold positions."""
    team_cum, team_onset, _ = team
    gold = rng.random(n) < cfg.gold_rate
    truth = rng.integers(0, cfg.classes, n)
    own = member.answers(truth, rng)
    where = np.flatnonzero(~gold)
    items, others = where.size, cfg.overlap - 1
    place = rng.integers(0, cfg.overlap, items)  # the member's place among the item's labels
    who = rng.integers(0, team_cum.shape[0], (items, others))
    drifted = (where[:, None] >= team_onset[who]).astype(np.int64)
    their = np.stack(
        [_draw(team_cum[who[:, j], drifted[:, j], truth[where]], rng) for j in range(others)],
        axis=1,
    )
    # order keys: labels before the member's come just before it; after it, 0..max_lag answers
    # later (the first one after it is what a first label waits for)
    rank = np.arange(others)[None, :]
    before = rank < place[:, None]
    later = (where[:, None] + rng.integers(0, cfg.max_lag + 1, (items, others))) * TICK
    their_key = np.where(before, where[:, None] * TICK - others + rank, later + 1 + rank)
    found = peer_agreement(
        np.repeat(np.arange(items), cfg.overlap),
        np.tile(np.arange(cfg.overlap), items),
        np.concatenate([own[where][:, None], their], axis=1).reshape(-1),
        order=np.concatenate([where[:, None] * TICK, their_key], axis=1).reshape(-1),
    )
    mine = slice(0, None, cfg.overlap)
    seen = found.observed[mine]
    gold_at = np.flatnonzero(gold)
    kind = np.concatenate([np.zeros(gold_at.size, dtype=np.int64), found.kind[mine][seen]])
    success = np.concatenate([own[gold_at] == truth[gold_at], found.agrees[mine][seen]])
    at = np.concatenate([gold_at, found.available_at[mine][seen] // TICK])
    order = np.lexsort((kind, at))  # by answer, gold before pair before consensus
    return kind[order], success[order], at[order], gold_at


def simulate(
    accuracies: NDArray[np.float64],
    drop_at: int | None,
    n: int,
    cfg: DriftBenchConfig,
    rng: np.random.Generator,
) -> Observations:
    team = _team(cfg)
    rows = []
    for accuracy in accuracies:
        pattern = str(PATTERNS[int(rng.integers(len(PATTERNS)))])
        member = SimAnnotator("bench", confusion_matrix(cfg.classes, float(accuracy), pattern))
        if drop_at is not None:
            member.drift_at = drop_at
            member.drift_confusion = confusion_matrix(
                cfg.classes, float(accuracy) - cfg.drop, pattern
            )
            if cfg.drift_kind == "gradual":
                member.drift_span = cfg.gradual_span
            elif cfg.drift_kind == "confusion":  # one class given for the next one
                true = int(rng.integers(cfg.classes))
                member.drift_confusion = confused_matrix(
                    member.confusion, true, (true + 1) % cfg.classes, 0.65
                )
        rows.append(_member(member, team, n, cfg, rng))
    width = max(r[0].size for r in rows)
    kind = np.full((len(rows), width), -1, dtype=np.int64)
    success = np.ones((len(rows), width), dtype=bool)
    at = np.full((len(rows), width), n, dtype=np.int64)
    for m, row in enumerate(rows):
        size = row[0].size
        kind[m, :size], success[m, :size], at[m, :size] = row[0], row[1], row[2]
    gold, pair, consensus = (int((kind == k).sum()) for k in range(3))
    return Observations(kind, success, at, [r[3] for r in rows], (gold, pair, consensus))


def _alarm_at(obs: Observations, plan: ChartPlan) -> list[NDArray[np.int64]]:
    """Answer positions of every alarm, per member."""
    alarms = member_alarms(obs.kind, obs.success, plan)
    return [obs.at[m][alarms[m]] for m in range(alarms.shape[0])]


def _quantile(delay: NDArray[Any], q: float) -> float | None:
    """An observed delay (no interpolation, so a missed member counts as the longest); ``None``
    when that quantile was missed."""
    found = float(np.quantile(delay, q, method="inverted_cdf"))
    return found if np.isfinite(found) else None


def _delays(obs: Observations, alarm_at: list[NDArray[Any]], change: int) -> dict[str, Any]:
    clean = np.array([not (a < change).any() for a in alarm_at])
    delay = np.full(len(alarm_at), np.inf)
    for m, (alarms, gold) in enumerate(zip(alarm_at, obs.gold_positions, strict=True)):
        late = alarms[alarms >= change]
        if clean[m] and late.size:
            delay[m] = int(((gold >= change) & (gold <= late[0])).sum())
    delay = delay[clean]
    return {
        "clean_before_change": round(float(clean.mean()), 4),
        "median_delay_gold": _quantile(delay, 0.5),
        "p90_delay_gold": _quantile(delay, 0.9),
        "within_30_gold": round(float((delay <= 30).mean()), 4),
        "missed": int((~np.isfinite(delay)).sum()),
    }


def _false_alarms(obs: Observations, alarm_at: list[NDArray[Any]]) -> dict[str, Any]:
    gold = sum(int(g.size) for g in obs.gold_positions)
    alarms = sum(int(a.size) for a in alarm_at)
    return {
        "gold_answers": gold,
        "false_alarms": alarms,
        "per_10000_gold": round(alarms * 10_000 / gold, 3),
    }


def run(cfg: DriftBenchConfig, options: MemberDriftOptions | None = None) -> dict[str, Any]:
    """Delay and false alarms of the member chart with agreement checks and without."""
    options = options or MemberDriftOptions()
    started = time.process_time()
    rng = np.random.default_rng(cfg.seed)
    team_accuracy = _team(cfg)[2]
    change = round(cfg.gold_before / cfg.gold_rate)
    length = round((cfg.gold_before + cfg.gold_after) / cfg.gold_rate)
    drifting_acc = np.full(cfg.drifting, cfg.accuracy)
    drifting = simulate(drifting_acc, change, length, cfg, rng)
    rates = drifting.rates(cfg, team_accuracy, _spread(cfg, drifting_acc))
    plan, gold_only = options.plan(rates), options.plan(None)
    steady_acc = rng.uniform(*cfg.steady_accuracy, cfg.steady)
    steady = simulate(steady_acc, None, round(cfg.steady_gold / cfg.gold_rate), cfg, rng)
    steady_plan = options.plan(steady.rates(cfg, team_accuracy, _spread(cfg, steady_acc)))
    return {
        "config": asdict(cfg),
        "checks_per_gold": {
            "pair": round(rates.pair_per_gold, 3),
            "consensus": round(rates.consensus_per_gold, 3),
        },
        "plan": {"per_gold": plan.per_gold, "drops": plan.drops, "priors": plan.priors},
        "gold_and_agreement": _delays(drifting, _alarm_at(drifting, plan), change),
        "gold_only": _delays(drifting, _alarm_at(drifting, gold_only), change),
        "steady": _false_alarms(steady, _alarm_at(steady, steady_plan)),
        "steady_gold_only": _false_alarms(steady, _alarm_at(steady, gold_only)),
        "cpu_seconds": round(time.process_time() - started, 1),
    }
