"""The second drift stream: does a member's label agree with the other annotators' labels?

Gold answers are a small share of a member's work; the overlap items they label are most of
it. Each overlap label can be checked against the labels of the others, but *which* others
matters: once two labels of an item disagree, difficulty routing makes the item hard and
regular members get it last, so a third label that settles a disagreement arrives much later
than one that confirms an agreement. Checking every label against "the consensus of the others"
would then deliver agreements at once and disagreements late, bunched together, and a chart
would read the bunch as drift. Two kinds of observation have arrival times that cannot depend
on whether they agree (:func:`peer_agreement`):

- ``pair``: the first two labels of an item, each checked against the other, known when the
  second arrives (before any routing could react to them);
- ``consensus``: the third label, checked against the first two when they agree (when they
  disagree there is no consensus and no observation), known when the third label arrives.
  Whether the first two agree is settled before the third annotator is chosen, so it selects
  on the others, never on the member.

How much a drop in accuracy lowers agreement follows from the one-coin ("symmetric") worker
model of Dawid & Skene (1979): every annotator is right with their accuracy and otherwise picks
one of the ``K - 1`` wrong classes uniformly. With ``m`` others of accuracy ``b``, their strict
majority is the truth with probability ``P_T = P(Bin(m, b) > m/2)`` and one given wrong class
with ``P(Bin(m, (1 - b)/(K - 1)) > m/2)``, so ``P_W = (K - 1)`` times that. Given a majority
exists it is right with probability ``c = P_T / (P_T + P_W)`` (``c = b`` for one other), and a
member of accuracy ``a`` agrees with it with probability

    A(a) = c a + (1 - c) (1 - a) / (K - 1),

linear in ``a`` with slope ``c - (1 - c) / (K - 1)`` (:class:`ConsensusModel`). Example:
``K = 5``, others of accuracy 0.875: a pair agrees with probability 0.7906 at ``a = 0.9`` and
0.6219 at 0.7; a consensus of two others (``c = 0.99492``) is matched with probability 0.8956
and 0.6975.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from labelcrew.errors import ValidationFailed

NO_CHECK, PAIR_CHECK, CONSENSUS_CHECK = -1, 1, 2  # codes; 0 is gold (drift_member.KINDS)


@dataclass(frozen=True)
class ConsensusModel:
    """One-coin model of a member's agreement with the strict majority of ``n_others`` others
    of accuracy ``others_accuracy`` on ``n_classes`` classes (formulas: module docstring)."""

    n_classes: int
    others_accuracy: float = 0.85
    n_others: int = 2

    def __post_init__(self) -> None:
        if self.n_classes < 2 or self.n_others < 1:
            raise ValidationFailed(
                f"need 2+ classes and 1+ others, got {self.n_classes} and {self.n_others}",
                code="drift_bad_model",
                field="n_classes",
            )
        if not 1.0 / self.n_classes < self.others_accuracy <= 1.0:
            raise ValidationFailed(
                f"others_accuracy must be above chance (1/{self.n_classes}) and at most 1, "
                f"got {self.others_accuracy}",
                code="drift_bad_model",
                field="others_accuracy",
            )

    def _majority(self, p: float) -> float:
        return float(stats.binom.sf(self.n_others // 2, self.n_others, p))

    @property
    def consensus_right(self) -> float:
        """``P_T``: a majority exists and is the truth."""
        return self._majority(self.others_accuracy)

    @property
    def consensus_wrong(self) -> float:
        """``P_W``: a majority exists and is a wrong class."""
        k = self.n_classes
        return (k - 1) * self._majority((1.0 - self.others_accuracy) / (k - 1))

    @property
    def consensus_rate(self) -> float:
        """Probability that the others have a strict majority."""
        return self.consensus_right + self.consensus_wrong

    @property
    def reliability(self) -> float:
        """``c``: probability that the majority, when there is one, is the truth."""
        return self.consensus_right / self.consensus_rate

    @property
    def slope(self) -> float:
        """``dA/da``: agreement lost per unit of accuracy lost."""
        c = self.reliability
        return c - (1.0 - c) / (self.n_classes - 1)

    def agreement(self, accuracy: float) -> float:
        """``A(a)``: probability that a member of this accuracy agrees with the majority."""
        c = self.reliability
        return c * accuracy + (1.0 - c) * (1.0 - accuracy) / (self.n_classes - 1)

    def agreement_drop(self, accuracy_drop: float) -> float:
        """The drop in agreement that a drop of ``accuracy_drop`` in accuracy causes."""
        return self.slope * accuracy_drop


@dataclass(frozen=True)
class PeerObservations:
    """Per input label: its check's ``kind`` (``PAIR_CHECK``, ``CONSENSUS_CHECK`` or ``NO_CHECK``), whether
    it agrees, and ``available_at``: the ``order`` key at which the observation is known."""

    kind: NDArray[np.int8]
    agrees: NDArray[np.bool_]
    available_at: NDArray[np.int64]

    @property
    def observed(self) -> NDArray[np.bool_]:
        return np.asarray(self.kind != NO_CHECK)


def peer_agreement(
    item_ids: ArrayLike,
    annotators: ArrayLike,
    labels: ArrayLike,
    order: ArrayLike | None = None,
) -> PeerObservations:
    """The ``pair`` and ``consensus`` observation of every label (module docstring), for a
    whole project at once.

    ``labels`` are class indices (or any comparable codes); ``order`` (default: input position)
    is an increasing key such as the annotation id, which ranks the labels of an item. Each
    (item, annotator) pair may appear once: the live labels.
    """
    label = np.asarray(labels)
    n = label.size
    _, item = np.unique(np.asarray(item_ids), return_inverse=True)
    _, who = np.unique(np.asarray(annotators), return_inverse=True)
    item, who = item.reshape(-1), who.reshape(-1)
    if item.size != n or who.size != n:
        raise ValidationFailed(
            "item_ids, annotators and labels must have the same length",
            code="drift_bad_stream",
            field="labels",
        )
    if np.unique(item * (int(who.max(initial=0)) + 1) + who).size != n:
        raise ValidationFailed(
            "an annotator has two live labels on one item",
            code="drift_duplicate_label",
            field="annotators",
        )
    keys = np.arange(n, dtype=np.int64) if order is None else np.asarray(order, dtype=np.int64)
    ranked = np.lexsort((keys, item))  # by item, then by order
    item_s, label_s, key_s = item[ranked], label[ranked], keys[ranked]
    first = np.ones(n, dtype=bool)
    first[1:] = item_s[1:] != item_s[:-1]
    starts = np.flatnonzero(first)
    rank = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))
    size = np.repeat(np.diff(np.append(starts, n)), np.diff(np.append(starts, n)))

    kind = np.full(n, NO_CHECK, dtype=np.int8)
    agrees = np.zeros(n, dtype=bool)
    available = np.zeros(n, dtype=np.int64)
    lead = np.flatnonzero((rank == 0) & (size >= 2))  # first label; the second follows it
    for mine, other in ((lead, lead + 1), (lead + 1, lead)):
        kind[mine] = PAIR_CHECK
        agrees[mine] = label_s[mine] == label_s[other]
        available[mine] = key_s[lead + 1]
    third = np.flatnonzero(rank == 2)
    settled = third[label_s[third - 2] == label_s[third - 1]]
    kind[settled] = CONSENSUS_CHECK
    agrees[settled] = label_s[settled] == label_s[settled - 1]
    available[settled] = key_s[settled]

    out_kind = np.empty_like(kind)
    out_agrees = np.empty_like(agrees)
    out_available = np.empty_like(available)
    out_kind[ranked], out_agrees[ranked], out_available[ranked] = kind, agrees, available
    return PeerObservations(out_kind, out_agrees, out_available)
