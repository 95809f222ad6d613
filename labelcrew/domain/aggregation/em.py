r"""Dawid-Skene family: worker-confusion models fitted by expectation-maximisation.

All three estimators share one vectorised EM loop (`_EMAggregator.fit`); they differ only in
the M-step (how a worker's answer model is re-estimated from the current posteriors) and in
whether some posteriors are pinned to known gold labels.

Notation: items :math:`i`, workers :math:`w`, classes :math:`c, k \in 0..K-1`, answers
:math:`y_{iw}`; :math:`T_{ic} = P(z_i = c \mid y)` is the posterior, :math:`p_c` the class
prior and :math:`\pi^w_{ck} = P(y_{iw} = k \mid z_i = c)` worker *w*'s confusion matrix.

The answers are regrouped once per fit (`AnswerLayout`); then one EM iteration costs O(N K)
time over the N answers and O(N + items x K) memory; nothing is ever items x workers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from labelcrew.domain.aggregation.answers import AnswerLayout
from labelcrew.domain.aggregation.votes import (
    FloatArray,
    IntArray,
    check_answers,
    class_argmax,
    gold_truth,
)
from labelcrew.errors import ValidationFailed

# Probabilities are clipped here when no smoothing keeps them positive (crowd-kit uses the
# same floor, which keeps our unsmoothed runs comparable to it).
_FLOOR = 1e-10


class _EMAggregator:
    r"""The shared EM loop; subclasses turn the expected counts into a worker model.

    With :math:`S` the items x (worker, answered label) count matrix:

    - M-step: expected counts :math:`C = S^\top T`, so :math:`C_{(w,k),c} = \sum_{i: y_{iw}=k} T_{ic}`;
      the subclass maps C to log confusion entries :math:`\Lambda_{(w,k),c} = \log \pi^w_{ck}`.
    - E-step: :math:`T_{ic} = p_c \prod_{w \in W_i} \pi^w_{c, y_{iw}} / Z_i`, computed in
      probability space class by class (`AnswerLayout.posteriors`).
    """

    def __init__(self, n_iter: int = 100, tol: float = 1e-5, smoothing: float = 0.0) -> None:
        if n_iter < 1 or tol < 0 or smoothing < 0:
            raise ValidationFailed(
                f"need n_iter >= 1, tol >= 0, smoothing >= 0; got {n_iter}, {tol}, {smoothing}",
                code="aggregation_bad_parameter",
                field="n_iter",
            )
        self.n_iter = n_iter
        self.tol = tol
        self.smoothing = smoothing

    def fit(
        self,
        item: npt.ArrayLike,
        worker: npt.ArrayLike,
        label: npt.ArrayLike,
        *,
        gold_item: npt.ArrayLike | None = None,
        gold_label: npt.ArrayLike | None = None,
        n_items: int | None = None,
        n_classes: int | None = None,
    ) -> Any:
        item_a, worker_a, label_a, n_i, n_w, n_k = check_answers(
            item, worker, label, n_items, n_classes
        )
        truth = None
        if gold_item is not None or gold_label is not None:
            if gold_item is None or gold_label is None:
                raise ValidationFailed(
                    "gold needs both gold_item and gold_label",
                    code="aggregation_bad_gold",
                    field="gold_item",
                )
            truth = gold_truth(gold_item, gold_label, n_i, n_k)
        self._truth = np.full(n_i, -1, dtype=np.intp) if truth is None else truth
        self.gold_mask_ = self._truth >= 0
        self._shape = (n_i, n_w, n_k)
        layout = AnswerLayout.build(item_a, worker_a * n_k + label_a, n_i, n_w * n_k, n_k)
        self._observed = layout.observed
        ranked_truth = layout.to_ranks(self._truth)
        self._gold_ranks = np.flatnonzero(ranked_truth >= 0)
        self._gold_labels = ranked_truth[self._gold_ranks]

        # Initialisation: majority-vote shares (Dawid & Skene 1979, section 3), gold pinned.
        posteriors = self._initial_posteriors(item_a, label_a, layout)  # ranks x K
        posteriors[self._gold_ranks] = 0.0
        posteriors[self._gold_ranks, self._gold_labels] = 1.0
        class_totals = np.ones(n_i) @ posteriors
        self.log_likelihood_: list[float] = []
        for iteration in range(1, self.n_iter + 1):
            priors, log_model, log_penalty = self._m_step(posteriors, class_totals, layout)
            model = np.ascontiguousarray(np.exp(log_model).T)
            log_evidence, class_totals = layout.posteriors(model, priors, posteriors)
            # Gold items keep a one-hot posterior on their known label after each E-step.
            if len(self._gold_ranks):
                class_totals -= posteriors[self._gold_ranks].sum(axis=0)
                class_totals += np.bincount(self._gold_labels, minlength=n_k)
                posteriors[self._gold_ranks] = 0.0
                posteriors[self._gold_ranks, self._gold_labels] = 1.0
            # Observed-data log-likelihood (plus the smoothing prior's log density), per answer;
            # EM never decreases it, so a gain below tol means it has converged.
            objective = (log_evidence + log_penalty) / max(len(item_a), 1)
            self.log_likelihood_.append(objective)
            self.n_iter_ = iteration
            if iteration > 1 and objective - self.log_likelihood_[-2] < self.tol:
                break
        # The worker model kept is the one the final posteriors were computed from.
        self.priors_ = priors
        self._store_worker_model(log_model)
        self.probas_ = layout.to_items(posteriors)
        by_class = np.ascontiguousarray(self.probas_.T)
        self.labels_, self.confidence_, self.ties_ = class_argmax(by_class, item_a, label_a)
        return self

    def _initial_posteriors(
        self, item: IntArray, label: IntArray, layout: AnswerLayout
    ) -> FloatArray:
        """Majority-vote shares in rank order; an item without answers starts uniform."""
        n_i, _, n_k = self._shape
        votes = np.bincount(item * n_k + label, minlength=n_i * n_k).reshape(n_i, n_k)
        answers = layout.answers_per_rank
        answered = int(np.count_nonzero(answers))
        shares = np.empty((n_i, n_k))
        np.divide(
            layout.to_ranks(votes)[:answered], answers[:answered, None], out=shares[:answered]
        )
        shares[answered:] = 1.0 / max(n_k, 1)
        return shares

    def _m_step(
        self, posteriors: FloatArray, class_totals: FloatArray, layout: AnswerLayout
    ) -> tuple[FloatArray, FloatArray, float]:
        r"""Priors :math:`p_c = (\sum_i T_{ic} + a)/(n + Ka)`, log model Λ and the smoothing log-prior."""
        a = self.smoothing
        n_i, n_w, n_k = self._shape
        priors = np.clip((class_totals + a) / (n_i + a * n_k), _FLOOR, None)
        expected = layout.expected_counts(posteriors).reshape(n_w, n_k, n_k)  # [w, k, c]
        log_model, penalty = self._worker_model(expected)
        return priors, log_model.reshape(n_w * n_k, n_k), penalty + a * float(np.log(priors).sum())

    def _worker_model(self, expected: FloatArray) -> tuple[FloatArray, float]:
        """From expected counts [w, answered k, true c] to log π laid out the same way."""
        raise NotImplementedError

    def _store_worker_model(self, log_model: FloatArray) -> None:
        """Keep errors_ as [worker, true class, answered class] probabilities, and skills_."""
        _, n_w, n_k = self._shape
        self.errors_ = np.exp(log_model.reshape(n_w, n_k, n_k)).transpose(0, 2, 1).copy()
        self.skills_ = np.diagonal(self.errors_, axis1=1, axis2=2) @ self.priors_


class DawidSkene(_EMAggregator):
    r"""Dawid-Skene: one full K x K confusion matrix per worker, fitted by EM.

    Model (Dawid & Skene, "Maximum Likelihood Estimation of Observer Error-Rates Using the EM
    Algorithm", Applied Statistics 28(1), 1979): :math:`P(z_i = c) = p_c` and
    :math:`P(y_{iw} = k \mid z_i = c) = \pi^w_{ck}`, answers independent given the truth.

    - E-step: :math:`T_{ic} \propto p_c \prod_{w \in W_i} \pi^w_{c, y_{iw}}`, products
      rescaled where they could underflow (`AnswerLayout.posteriors`).
    - M-step with Laplace (add-*a*) smoothing, i.e. the MAP estimate under a symmetric
      Dirichlet(*a* + 1) prior on each row of each confusion matrix and on *p*:
      :math:`\pi^w_{ck} = (\sum_{i: y_{iw}=k} T_{ic} + a) / (\sum_{i \in I_w} T_{ic} + K a)`,
      :math:`p_c = (\sum_i T_{ic} + a) / (n + K a)`.

    With ``smoothing=0`` (the default) this is the plain maximum-likelihood EM that crowd-kit's
    DawidSkene implements, with the same guard: counts of answers a worker gave are floored
    at 1e-10 before normalising, answers never given keep probability 0. Initialisation is
    majority-vote shares; iteration stops when the per-answer log-likelihood gains less than
    ``tol`` or after ``n_iter`` iterations. Given ``gold_item``/``gold_label`` the gold
    posteriors are pinned (see `GoldSeededDawidSkene`). Survey: Zheng et al., PVLDB 10(5), 2017.

    After ``fit``: ``probas_``, ``labels_``, ``confidence_``, ``priors_``, ``errors_`` (workers
    x true class x answered class, rows sum to 1) and ``skills_`` (prior-weighted accuracy
    :math:`\sum_c p_c \pi^w_{cc}`).
    """

    def _worker_model(self, expected: FloatArray) -> tuple[FloatArray, float]:
        n_k = self._shape[2]
        observed = self._observed.reshape(-1, n_k, 1)
        if self.smoothing > 0:
            confusion = expected + self.smoothing
            log_model = np.log(confusion / confusion.sum(axis=1, keepdims=True))
            return log_model, self.smoothing * float(log_model.sum())
        confusion = np.where(observed, np.clip(expected, _FLOOR, None), 0.0)
        totals = confusion.sum(axis=1, keepdims=True)
        # A worker code with no answers has no observed cell; its (unused) rows stay at 0.
        confusion = np.divide(confusion, totals, out=confusion, where=totals > 0)
        # Entries of answers never given are never read by the E-step (S is 0 there).
        return np.log(confusion, out=np.zeros_like(confusion), where=observed), 0.0

    def _store_worker_model(self, log_model: FloatArray) -> None:
        super()._store_worker_model(log_model)
        if self.smoothing == 0:
            _, n_w, n_k = self._shape
            self.errors_ *= self._observed.reshape(n_w, 1, n_k)


class OneCoinDawidSkene(_EMAggregator):
    r"""One-coin Dawid-Skene: each worker has one accuracy :math:`s_w`.

    :math:`\pi^w_{ck} = s_w` if :math:`k = c`, else :math:`(1 - s_w)/(K - 1)` (the "one-coin"
    model of Raykar et al., "Learning From Crowds", JMLR 11, 2010, and Zhang, Chen, Zhou &
    Jordan, "Spectral Methods Meet EM", JMLR 17, 2016). EM as in `DawidSkene`, with the M-step

    .. math:: s_w = \frac{\sum_{i \in I_w} T_{i, y_{iw}} + a}{|I_w| + 2a}

    (add-*a* smoothing, a Beta(*a* + 1, *a* + 1) prior; with ``smoothing=0`` it is clipped to
    [1e-10, 1 - 1e-10] as crowd-kit does). The numerator is the diagonal of the expected
    counts C. After ``fit``: ``skills_`` (*s*), ``errors_`` (workers x K x K) and the
    posterior attributes.
    """

    def _worker_model(self, expected: FloatArray) -> tuple[FloatArray, float]:
        n_k = self._shape[2]
        a = self.smoothing
        diagonal = np.arange(n_k)
        hits = expected[:, diagonal, diagonal].sum(axis=1)
        answered = expected.sum(axis=(1, 2))
        skills = np.divide(
            hits + a, answered + 2 * a, out=np.full(len(hits), 0.5), where=answered + 2 * a > 0
        )
        skills = np.clip(skills, _FLOOR, 1 - _FLOOR)
        off = (1 - skills) / max(n_k - 1, 1)
        log_model = np.repeat(np.log(off)[:, None, None], n_k, axis=1).repeat(n_k, axis=2)
        log_model[:, diagonal, diagonal] = np.log(skills)[:, None]
        return log_model, a * float((np.log(skills) + np.log(1 - skills)).sum())

    def _store_worker_model(self, log_model: FloatArray) -> None:
        super()._store_worker_model(log_model)
        n_k = self._shape[2]
        self.skills_ = np.exp(log_model.reshape(-1, n_k, n_k)[:, 0, 0])


class GoldSeededDawidSkene(DawidSkene):
    r"""Dawid-Skene seeded with gold: some items' true labels are known.

    Exactly what changes against `DawidSkene`:

    1. The initial posteriors are majority-vote shares, except that every gold item's row is
       the one-hot vector of its known label; the first M-step therefore builds each worker's
       confusion matrix from their gold answers (counted as certain) plus their other answers
       (weighted by vote share).
    2. After every E-step the gold rows are reset to that one-hot vector, so gold items keep
       posterior 1 on their known label and always contribute their answers to the M-step as
       certain evidence; ``labels_`` of a gold item is its gold label.

    This is the semi-supervised EM of Dawid & Skene (1979) with some :math:`z_i` observed
    (also the "golden" correction in crowd-kit's DawidSkene). ``fit`` requires gold.
    """

    def fit(  # type: ignore[override]
        self,
        item: npt.ArrayLike,
        worker: npt.ArrayLike,
        label: npt.ArrayLike,
        *,
        gold_item: npt.ArrayLike,
        gold_label: npt.ArrayLike,
        n_items: int | None = None,
        n_classes: int | None = None,
    ) -> GoldSeededDawidSkene:
        result: GoldSeededDawidSkene = super().fit(
            item,
            worker,
            label,
            gold_item=gold_item,
            gold_label=gold_label,
            n_items=n_items,
            n_classes=n_classes,
        )
        return result
