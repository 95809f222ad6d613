"""Class-confusion drift: a Bernoulli CUSUM per (true class c, given class d) on one member's gold.

On the member's gold answers whose true class is ``c`` (in order), ``X_t = 1`` when the answer
gave ``d != c``. In control ``X_t`` is Bernoulli(``p0``) with ``p0 = max(own, team)``: the
member's own earlier rate (self-starting, after Hawkins 1987: a Beta posterior on the answers
before the current window and at least ``lag`` answers old, prior mean the team's rate and
strength ``prior_strength``, raised by ``caution`` posterior standard deviations) and the
team's smoothed rate. The chart is Page's (1954) log-likelihood-ratio CUSUM ("Continuous
inspection schemes", *Biometrika* 41) against ``p1 = min(p0 + shift, 0.97)``::

    S_t = max(0, S_{t-1} + X_t ln(p1 / p0) + (1 - X_t) ln((1 - p1) / (1 - p0))),

alarm when ``S_t >= h`` (then restart at 0). Under a change to ``p1`` the CUSUM minimises the
worst-case detection delay for its false-alarm rate (Lorden 1971; Moustakides 1986, "Optimal
stopping times for detecting changes in distributions", *Ann. Statist.* 14), and with ``p0``
right its in-control run length is at least ``e^h`` (Lorden 1971). An alarm therefore says the
recent rate of "answered c as d" rose above both the member's own earlier rate and the team's.

No alarm before ``warmup`` answers on ``c``: the own baseline must exist. So a member confused
from the start (own rate high, team's low) raises no *drift* alarm here: it is a steady bias,
seen in the gold report per label, not a change; only a further rise above their own rate is.

Threshold (``THRESHOLD``, calibrated by :func:`false_alarms_per_10000`, 3 classes, 2,000
steady members x 1,500 gold answers at the team's rates, seed 1, all 6 charts of a member
together; goal <= 1): h = 8.0 nats gives 0.23 false alarms per 10,000 gold answers at 3 % per
confusion (accuracy 0.94) and 0.31 at 7.5 % (accuracy 0.85); h = 7 would give 0.90 and 1.02.
A member who switches 50 % of class c to d after 60 steady answers on c is flagged after a
median of 10 gold answers on c (90th percentile 19) at a 3 % team rate, 16 at 7.5 %; a
steady member at twice the team's rate gets 0.36 per 10,000 answers per chart, and 2 % of
members confused from the start (30 %, team 3 %) get one alarm in their first 200 answers on c
(tests/domain/quality/test_drift_confusion.py).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labelcrew.errors import ValidationFailed

CONFUSION_DRIFT = "confusion_drift"
THRESHOLD = 8.0  # nats; 0.23 false alarms per 10,000 gold answers (module docstring)


@dataclass(frozen=True)
class ConfusionOptions:
    """How the charts are tuned; figures for these defaults in the module docstring."""

    threshold: float = THRESHOLD
    shift: float = 0.35
    warmup: int = 30
    lag: int = 20
    prior_strength: float = 5.0
    caution: float = 1.0


@dataclass(frozen=True)
class ConfusionAlarm:
    """One alarm: ``member`` now gives ``given_class`` for ``true_class``.

    The window runs from annotation ``start_id`` to ``end_id`` (inclusive) and holds ``after_n``
    answers on the true class, ``after_k`` of them the given class; ``before_n``/``before_k``
    are the same counts before the window. ``own_rate`` is the member's cautious earlier rate
    the chart used, ``team_rate`` the team's; ``statistic`` >= ``threshold`` (nats).
    """

    member: str
    true_class: str
    given_class: str
    start_id: int
    end_id: int
    before_n: int
    before_k: int
    after_n: int
    after_k: int
    own_rate: float
    team_rate: float
    after_rate: float
    statistic: float
    threshold: float


def team_confusion(
    true: ArrayLike,
    given: ArrayLike,
    n_classes: int,
    *,
    accuracy: float = 0.85,
    strength: float = 10.0,
) -> NDArray[np.float64]:
    """Smoothed team confusion rates ``R[c, d] = (n_cd + s b_cd) / (n_c + s)``: row ``c`` is the
    probability of each given class on true class ``c``; the prior ``b`` has ``accuracy`` on the
    diagonal, the rest spread evenly. Given classes outside ``0..K-1`` (no answer) are dropped."""
    t, g = np.asarray(true, dtype=np.int64), np.asarray(given, dtype=np.int64)
    ok = (g >= 0) & (g < n_classes)
    counts = np.zeros((n_classes, n_classes))
    np.add.at(counts, (t[ok], g[ok]), 1.0)
    prior = np.full((n_classes, n_classes), (1.0 - accuracy) / max(n_classes - 1, 1))
    np.fill_diagonal(prior, accuracy)
    rates = (counts + strength * prior) / (counts.sum(axis=1, keepdims=True) + strength)
    return np.asarray(rates, dtype=np.float64)


@dataclass(frozen=True)
class _Run:
    statistic: NDArray[np.float64]  # (M, T) after each step, before a restart
    alarm: NDArray[np.bool_]  # (M, T)
    start: NDArray[np.int64]  # (M, T) first step of the window ending there
    own: NDArray[np.float64]  # (M, T) the member's cautious earlier rate used at that step


def _charts(x: NDArray[np.bool_], team_rate: float, options: ConfusionOptions) -> _Run:
    """Run ``M`` charts at once on ``x`` (M, T): "answered c as d" per answer on class c."""
    m, t_len = x.shape
    done = np.concatenate([np.zeros((m, 1), np.int64), np.cumsum(x, axis=1)], axis=1)
    rows = np.arange(m)
    s, team = options.prior_strength, float(np.clip(team_rate, 1e-3, 0.9))
    out = _Run(
        np.zeros((m, t_len)),
        np.zeros((m, t_len), bool),
        np.zeros((m, t_len), np.int64),
        np.zeros((m, t_len)),
    )
    stat = np.zeros(m)
    start = np.full(m, options.warmup, np.int64)
    for t in range(options.warmup, t_len):
        n_base = np.minimum(max(options.warmup, t - options.lag), start)
        mean = (done[rows, n_base] + s * team) / (n_base + s)
        own = mean + options.caution * np.sqrt(mean * (1 - mean) / (n_base + s + 1))
        p0 = np.clip(np.maximum(own, team), 1e-3, 0.9)
        p1 = np.minimum(p0 + options.shift, 0.97)
        step = np.where(x[:, t], np.log(p1 / p0), np.log((1 - p1) / (1 - p0)))
        stat = np.maximum(stat + step, 0.0)
        out.statistic[:, t], out.start[:, t], out.own[:, t] = stat, start, own
        fired = stat >= options.threshold
        out.alarm[:, t] = fired
        stat[fired] = 0.0
        start[(stat == 0.0)] = t + 1
    return out


def confusion_alarms(
    member: str,
    answers: Sequence[tuple[int, str, str | None]],
    categories: Sequence[str],
    team_rates: ArrayLike,
    options: ConfusionOptions | None = None,
) -> list[ConfusionAlarm]:
    """Every alarm in one member's gold answers, oldest first.

    ``answers``: (annotation_id, true_class, given_class) in order; ``team_rates``: K x K (rows
    the true class, as :func:`team_confusion`). Answers whose true class is not a category are
    skipped; a given class that is not one counts as an answer on its true class with no ``d``.
    """
    opts = options or ConfusionOptions()
    rates = np.asarray(team_rates, dtype=float)
    k = len(categories)
    if rates.shape != (k, k):
        raise ValidationFailed(
            f"team_rates must be {k} x {k}, got {rates.shape}",
            code="confusion_bad_rates",
            field="team_rates",
        )
    index: dict[Hashable, int] = {c: i for i, c in enumerate(categories)}
    found: list[ConfusionAlarm] = []
    for c, true_class in enumerate(categories):
        mine = [(a, index.get(g, -1)) for a, t, g in answers if t == true_class]
        ids = [a for a, _ in mine]
        given = np.array([g for _, g in mine], dtype=np.int64)
        for d, given_class in enumerate(categories):
            if d == c or len(mine) <= opts.warmup:
                continue
            x = (given == d)[None, :]
            run = _charts(x, float(rates[c, d]), opts)
            for t in np.flatnonzero(run.alarm[0]):
                first = int(run.start[0, t])
                before, after = x[0, :first], x[0, first : t + 1]
                found.append(
                    ConfusionAlarm(
                        member=member,
                        true_class=true_class,
                        given_class=given_class,
                        start_id=int(ids[first]),
                        end_id=int(ids[t]),
                        before_n=int(before.size),
                        before_k=int(before.sum()),
                        after_n=int(after.size),
                        after_k=int(after.sum()),
                        own_rate=float(run.own[0, t]),
                        team_rate=float(rates[c, d]),
                        after_rate=float(after.mean()),
                        statistic=float(run.statistic[0, t]),
                        threshold=opts.threshold,
                    )
                )
    return sorted(found, key=lambda a: (a.end_id, a.true_class, a.given_class))


def false_alarms_per_10000(
    team_rates: ArrayLike,
    *,
    members: int = 2000,
    answers: int = 1500,
    options: ConfusionOptions | None = None,
    seed: int = 1,
) -> float:
    """Calibration: alarms per 10,000 gold answers of ``members`` steady annotators who each
    answer ``answers`` gold items (classes in equal shares) at exactly the team's rates, summed
    over every (c, d) chart."""
    opts = options or ConfusionOptions()
    rates = np.asarray(team_rates, dtype=float)
    k = int(rates.shape[0])
    rng = np.random.default_rng(seed)
    per_class = answers // k
    alarms = 0
    for c in range(k):
        cdf = np.cumsum(rates[c] / rates[c].sum())
        given = np.searchsorted(cdf, rng.random((members, per_class)), side="right")
        for d in range(k):
            if d != c:
                alarms += int(_charts(given == d, float(rates[c, d]), opts).alarm.sum())
    return 10_000.0 * alarms / (members * per_class * k)


def detection_delays(
    team_rate: float,
    confused: float,
    *,
    members: int = 500,
    before: int = 60,
    after: int = 60,
    options: ConfusionOptions | None = None,
    seed: int = 2,
) -> NDArray[np.int64]:
    """Answers on class c from the onset to the first alarm, for ``members`` annotators at the
    team's rate for ``before`` answers on c and then giving d with probability ``confused``;
    ``after + 1`` when not caught, -1 for a false alarm before the onset."""
    opts = options or ConfusionOptions()
    rng = np.random.default_rng(seed)
    x = np.concatenate(
        [rng.random((members, before)) < team_rate, rng.random((members, after)) < confused],
        axis=1,
    )
    alarm = _charts(x, team_rate, opts).alarm
    late = alarm[:, before:]
    delay = np.where(late.any(axis=1), late.argmax(axis=1) + 1, after + 1)
    return np.where(alarm[:, :before].any(axis=1), -1, delay).astype(np.int64)
