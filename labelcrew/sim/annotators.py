"""Simulated annotators: the team model that the simulator drives the services with.

An annotator answers a single-choice item of ``K`` classes by drawing from row ``true_label``
of their confusion matrix ``C`` (``C[i, j] = P(answer j | truth i)``, the Dawid & Skene 1979
worker model). Honest members have ``C[i, i] = accuracy`` and spread the errors by a
pattern; drifters switch to a second matrix from their ``drift_at``-th answer on (0-based);
spammers are random clickers (every row uniform, accuracy 1/K) or always give one label.
Speed is lognormal seconds per item: ``exp(N(ln median, sigma))``.

The only state is the answer counter, which drift onset needs; randomness always comes from
the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labelcrew.errors import ValidationFailed

PATTERNS = ("uniform", "adjacent", "next")


def confusion_matrix(n_classes: int, accuracy: float, pattern: str = "uniform") -> NDArray[Any]:
    """Row-stochastic ``K x K`` matrix with ``accuracy`` on the diagonal.

    Errors go: ``uniform``, evenly to the other classes; ``adjacent``, to the neighbouring
    classes of an ordinal scale (split evenly between both neighbours where there are two);
    ``next``, all to class ``(i + 1) mod K`` (one systematic confusion per class).
    """
    if n_classes < 2:
        raise ValidationFailed(
            f"need at least 2 classes, got {n_classes}", code="sim_bad_classes", field="n_classes"
        )
    if not 0.0 <= accuracy <= 1.0:
        raise ValidationFailed(
            f"accuracy must be in [0, 1], got {accuracy}", code="sim_bad_accuracy", field="accuracy"
        )
    if pattern not in PATTERNS:
        raise ValidationFailed(
            f"unknown confusion pattern {pattern!r}; use one of {PATTERNS}",
            code="sim_bad_pattern",
            field="pattern",
        )
    k = n_classes
    errors = np.zeros((k, k))
    for i in range(k):
        if pattern == "uniform":
            targets = [j for j in range(k) if j != i]
        elif pattern == "adjacent":
            targets = [j for j in (i - 1, i + 1) if 0 <= j < k]
        else:
            targets = [(i + 1) % k]
        errors[i, targets] = 1.0 / len(targets)
    return accuracy * np.eye(k) + (1.0 - accuracy) * errors


def random_clicker(n_classes: int) -> NDArray[Any]:
    return np.full((n_classes, n_classes), 1.0 / n_classes)


def constant_labeler(n_classes: int, label: int) -> NDArray[Any]:
    matrix = np.zeros((n_classes, n_classes))
    matrix[:, label] = 1.0
    return matrix


@dataclass
class SimAnnotator:
    """One simulated member. ``kind`` is ``honest``, ``drifter``, ``random`` or ``constant``."""

    name: str
    confusion: NDArray[Any]
    seconds_median: float = 20.0
    seconds_sigma: float = 0.5
    drift_at: int | None = None
    drift_confusion: NDArray[Any] | None = None
    kind: str = "honest"
    answered: int = field(default=0)
    drift_span: int = 0  # answers over which a gradual drift moves from one matrix to the other
    drift_kind: str | None = None  # step, gradual, confusion or early (for the report)
    honeypot_miss: float = 0.01  # chance of missing an obvious item: attention, not knowledge

    @property
    def n_classes(self) -> int:
        return int(self.confusion.shape[0])

    def confusion_at(self, index: int) -> NDArray[Any]:
        """The matrix in force for the member's ``index``-th answer (0-based)."""
        target = self.drift_confusion if self.drift_confusion is not None else self.confusion
        moved = float(self._drifted(np.array([index]))[0])
        return np.asarray(self.confusion + moved * (target - self.confusion), dtype=float)

    def _drifted(self, index: NDArray[Any]) -> NDArray[np.float64]:
        """How far each answer has moved to the drifted matrix: 0 before ``drift_at``, 1 after
        (a step), or a linear ramp over ``drift_span`` answers (gradual drift)."""
        if self.drift_at is None or self.drift_confusion is None:
            return np.zeros(index.size)
        if self.drift_span <= 0:
            return (index >= self.drift_at).astype(float)
        return np.clip((index - self.drift_at + 1) / self.drift_span, 0.0, 1.0)

    def accuracy_at(self, index: int) -> float:
        """Expected accuracy at answer ``index`` when true classes are uniform."""
        return float(np.mean(np.diag(self.confusion_at(index))))

    def answer(self, true_label: int, rng: np.random.Generator) -> int:
        """Label one item whose true class is ``true_label``; advances the answer counter."""
        row = self.confusion_at(self.answered)[true_label]
        self.answered += 1
        return int(rng.choice(self.n_classes, p=row))

    def answers(self, true_labels: ArrayLike, rng: np.random.Generator) -> NDArray[np.int64]:
        """Label a run of items at once (same draws as calling :meth:`answer` in a loop would
        model, not the same random numbers); advances the counter by their number."""
        truths = np.asarray(true_labels, dtype=np.int64)
        index = self.answered + np.arange(truths.size)
        rows = self.confusion[truths]  # a copy: fancy indexing
        if self.drift_at is not None and self.drift_confusion is not None:
            moved = self._drifted(index)[:, None]
            rows = rows + moved * (self.drift_confusion[truths] - rows)
        cumulative = np.cumsum(rows, axis=1)
        draws = rng.random(truths.size)[:, None]
        self.answered += truths.size
        picked = (draws >= cumulative).sum(axis=1)
        chosen: NDArray[np.int64] = np.minimum(picked, self.n_classes - 1).astype(np.int64)
        return chosen

    def seconds(self, rng: np.random.Generator) -> float:
        """Time spent on one item, lognormal around ``seconds_median``."""
        return float(rng.lognormal(np.log(self.seconds_median), self.seconds_sigma))


DRIFT_KINDS = ("step", "gradual", "confusion", "early")
EARLY_AT = 100  # an early drift sets in near the member's 100th answer (issue 21)


def confused_matrix(confusion: NDArray[Any], true: int, given: int, share: float) -> NDArray[Any]:
    """``confusion`` with ``share`` of class ``true``'s correct answers moved to ``given``: one
    class taken for another while the other rows, and so overall accuracy, barely move."""
    out = np.array(confusion, dtype=float)
    moved = out[true, true] * share
    out[true, true] -= moved
    out[true, given] += moved
    return out


def _drift(
    member: SimAnnotator,
    kind: str,
    accuracy: float,
    pattern: str,
    drop: float,
    window: tuple[int, int],
    rng: np.random.Generator,
) -> None:
    k = member.n_classes
    member.kind, member.drift_kind = "drifter", kind
    member.drift_at = int(rng.integers(window[0], window[1] + 1))
    member.drift_confusion = confusion_matrix(k, max(accuracy - drop, 0.0), pattern)
    if kind == "early":
        member.drift_at = EARLY_AT
    elif kind == "gradual":
        member.drift_span = max(1, (window[1] - window[0]) // 2)
    elif kind == "confusion":
        true = int(rng.integers(k))
        member.drift_confusion = confused_matrix(member.confusion, true, (true + 1) % k, 0.65)


def make_team(
    n: int,
    n_drifters: int,
    n_spammers: int,
    n_classes: int,
    rng: np.random.Generator,
    *,
    accuracy_range: tuple[float, float] = (0.8, 0.95),
    drift_drop: float = 0.2,
    drift_window: tuple[int, int] = (100, 400),
    patterns: Sequence[str] = PATTERNS,
    drift_kinds: Sequence[str] = ("step",),
) -> list[SimAnnotator]:
    """A team of ``n``: honest members, then ``n_drifters`` drifters, then ``n_spammers``.

    Honest and drifting members draw their accuracy uniformly from ``accuracy_range`` and a
    confusion pattern from ``patterns``. Drifters take the kinds of ``drift_kinds`` in turn:
    ``step`` loses ``drift_drop`` accuracy from an answer drawn uniformly in ``drift_window``;
    ``gradual`` loses it linearly over half that window's width; ``confusion`` starts giving
    one class for another (65 % of that class's correct answers move to the next class);
    ``early`` is a step at the member's 100th answer. Spammers alternate random clickers and
    constant labellers. Medians of seconds per item are lognormal around 20 s (spammers: 4 s).
    """
    unknown = sorted(set(drift_kinds) - set(DRIFT_KINDS))
    if unknown or not drift_kinds:
        raise ValidationFailed(
            f"unknown drift kinds {unknown}; use {DRIFT_KINDS}",
            code="sim_bad_drift",
            field="drift_kinds",
        )
    if n_drifters + n_spammers > n or min(n, n_drifters, n_spammers) < 0:
        raise ValidationFailed(
            f"cannot make {n_drifters} drifters and {n_spammers} spammers in a team of {n}",
            code="sim_bad_team",
            field="n",
        )
    team: list[SimAnnotator] = []
    for i in range(n - n_spammers):
        accuracy = float(rng.uniform(*accuracy_range))
        pattern = str(patterns[int(rng.integers(len(patterns)))])
        member = SimAnnotator(
            name=f"member-{i:03d}",
            confusion=confusion_matrix(n_classes, accuracy, pattern),
            seconds_median=float(rng.lognormal(np.log(20.0), 0.3)),
        )
        first_drifter = n - n_spammers - n_drifters
        if i >= first_drifter:
            kind = drift_kinds[(i - first_drifter) % len(drift_kinds)]
            _drift(member, kind, accuracy, pattern, drift_drop, drift_window, rng)
        team.append(member)
    for j in range(n_spammers):
        clicker = j % 2 == 0
        team.append(
            SimAnnotator(
                name=f"spammer-{j:03d}",
                confusion=random_clicker(n_classes)
                if clicker
                else constant_labeler(n_classes, int(rng.integers(n_classes))),
                seconds_median=4.0,
                kind="random" if clicker else "constant",
            )
        )
    return team
