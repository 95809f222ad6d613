"""Overlap policies: does an item need another worker's answer?

The assignment engine asks ``policy.needs_more(answers, worker_accuracy, n_classes)`` for an
item, where ``answers`` are the label codes received so far (in order) and
``worker_accuracy`` the estimated accuracies of the workers who gave them. Two policies
implement the `OverlapPolicy` protocol:

- `FixedOverlap(n)`: every item gets exactly n answers.
- `DynamicOverlap(target_confidence, min_overlap, max_overlap)`: ask again only while the
  item's posterior confidence is below target (adaptive redundancy in the spirit of Ipeirotis,
  Provost, Sheng & Wang, "Repeated labeling using multiple noisy labelers", DMKD 28(2), 2014).

The posterior is the one-coin Dawid-Skene E-step for one item with a uniform class prior
(Raykar et al., JMLR 11, 2010; Zheng et al., PVLDB 10(5), 2017):

.. math:: P(z = c \\mid y) \\propto \\prod_j s_j^{[y_j = c]}
          \\left(\\frac{1 - s_j}{K - 1}\\right)^{[y_j \\ne c]}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from labelcrew.errors import ValidationFailed

# Accuracies are kept strictly inside (0, 1) so one answer can never make a class impossible.
_EDGE = 1e-6


class OverlapPolicy(Protocol):
    def needs_more(
        self, answers: Sequence[int], worker_accuracy: Sequence[float] | None, n_classes: int
    ) -> bool: ...


def one_coin_posterior(
    answers: Sequence[int],
    worker_accuracy: Sequence[float | None] | None,
    n_classes: int,
    default_accuracy: float = 0.7,
) -> npt.NDArray[np.float64]:
    """Posterior over the K classes of one item (uniform prior), see the module docstring.

    A missing accuracy (no list, ``None`` or NaN for a worker) is ``default_accuracy``.
    """
    if n_classes < 2:
        raise ValidationFailed(
            f"n_classes must be at least 2, got {n_classes}",
            code="overlap_bad_classes",
            field="n_classes",
        )
    codes = np.asarray(answers, dtype=np.intp).reshape(-1)
    if codes.size and (codes.min() < 0 or codes.max() >= n_classes):
        bad = int(codes[(codes < 0) | (codes >= n_classes)][0])
        raise ValidationFailed(
            f"answer code {bad} is outside 0..{n_classes - 1}",
            code="overlap_bad_answer",
            field="answers",
        )
    if worker_accuracy is None:
        skills = np.full(codes.size, default_accuracy)
    else:
        if len(worker_accuracy) != codes.size:
            raise ValidationFailed(
                f"worker_accuracy has {len(worker_accuracy)} values for {codes.size} answers",
                code="overlap_length_mismatch",
                field="worker_accuracy",
            )
        skills = np.array(
            [default_accuracy if s is None or math.isnan(s) else float(s) for s in worker_accuracy],
            dtype=np.float64,
        )
    skills = np.clip(skills, _EDGE, 1 - _EDGE)
    log_off = np.log((1 - skills) / (n_classes - 1))
    log_joint = np.full(n_classes, log_off.sum())
    np.add.at(log_joint, codes, np.log(skills) - log_off)
    joint = np.exp(log_joint - log_joint.max())
    posterior: npt.NDArray[np.float64] = joint / joint.sum()
    return posterior


@dataclass(frozen=True)
class FixedOverlap:
    """Every item gets exactly ``n`` answers."""

    n: int

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValidationFailed(
                f"overlap must be at least 1, got {self.n}", code="overlap_bad_size", field="n"
            )

    def needs_more(
        self, answers: Sequence[int], worker_accuracy: Sequence[float] | None, n_classes: int
    ) -> bool:
        return len(answers) < self.n


@dataclass(frozen=True)
class DynamicOverlap:
    """Ask for another answer while the posterior confidence is below ``target_confidence``.

    Rules, in order: fewer than ``min_overlap`` answers -> ask; ``max_overlap`` reached ->
    stop; otherwise ask while ``max_c P(z = c | answers) < target_confidence``, with the
    posterior of `one_coin_posterior` (unknown accuracies count as ``default_accuracy``).
    """

    target_confidence: float = 0.9
    min_overlap: int = 1
    max_overlap: int = 5
    default_accuracy: float = 0.7

    def __post_init__(self) -> None:
        checks = (
            ("target_confidence", 0 < self.target_confidence <= 1),
            ("min_overlap", 0 <= self.min_overlap <= self.max_overlap),
            ("max_overlap", self.max_overlap >= 1),
            ("default_accuracy", 0 < self.default_accuracy < 1),
        )
        for field, ok in checks:
            if not ok:
                raise ValidationFailed(
                    f"invalid {field}: {getattr(self, field)!r}",
                    code="overlap_bad_parameter",
                    field=field,
                )

    def confidence(
        self, answers: Sequence[int], worker_accuracy: Sequence[float] | None, n_classes: int
    ) -> float:
        if not len(answers):
            return 1.0 / n_classes
        posterior = one_coin_posterior(answers, worker_accuracy, n_classes, self.default_accuracy)
        return float(posterior.max())

    def needs_more(
        self, answers: Sequence[int], worker_accuracy: Sequence[float] | None, n_classes: int
    ) -> bool:
        if len(answers) < self.min_overlap:
            return True
        if len(answers) >= self.max_overlap:
            return False
        return self.confidence(answers, worker_accuracy, n_classes) < self.target_confidence
