"""Aggregation: from several workers' answers per item to one label with a posterior confidence.

Methods (each an estimator with ``fit(item, worker, label, ...)``, then ``labels_``,
``probas_``, ``confidence_``, ``ties_``; the worker models also ``errors_`` and ``skills_``):

| name | class | model |
|---|---|---|
| ``mv`` | `MajorityVote` | vote share |
| ``wmv`` | `WeightedMajorityVote` | weighted vote share (given weights or gold accuracy) |
| ``ds`` | `DawidSkene` | full confusion matrix per worker, EM (Dawid & Skene 1979) |
| ``ods`` | `OneCoinDawidSkene` | one accuracy per worker, EM (Raykar et al. 2010; Zhang et al. 2016) |
| ``gds`` | `GoldSeededDawidSkene` | ``ds`` with known gold labels pinned |

The survey these methods are compared in: Zheng, Li, Li, Shan, Cheng, "Truth Inference in
Crowdsourcing: Is the Problem Solved?", PVLDB 10(5), 2017.

`DEFAULT_METHOD` is ``ds`` with add-0.05 smoothing (`DS_SMOOTHING`). Measured on the survey's
data (tests and ``labelcrew bench aggregate``): 0.9400 on d_jn_product and 0.8426 on s_dog,
against crowd-kit's best method (its DawidSkene) at 0.9397 and 0.8426. Unsmoothed ML EM stops
at 0.9391 on d_jn_product under our tolerance: the smoothing keeps a worker who answered a
class once from getting probability exactly 0 or 1 in that row. The margin is a few items,
inside sampling noise, and was chosen on these two data sets.
"""

from __future__ import annotations

from typing import Any, Literal

from labelcrew.domain.aggregation.em import DawidSkene, GoldSeededDawidSkene, OneCoinDawidSkene
from labelcrew.domain.aggregation.votes import (
    EncodedAnswers,
    MajorityVote,
    WeightedMajorityVote,
    encode_answers,
    encode_gold,
)
from labelcrew.errors import ValidationFailed

Method = Literal["mv", "wmv", "ds", "ods", "gds"]
METHODS: tuple[str, ...] = ("mv", "wmv", "ds", "ods", "gds")
DEFAULT_METHOD: Method = "ds"
# Laplace pseudo-count per confusion cell for the platform's "ds" (see module docstring).
DS_SMOOTHING = 0.05

__all__ = [
    "DEFAULT_METHOD",
    "DS_SMOOTHING",
    "METHODS",
    "DawidSkene",
    "EncodedAnswers",
    "GoldSeededDawidSkene",
    "MajorityVote",
    "Method",
    "OneCoinDawidSkene",
    "WeightedMajorityVote",
    "encode_answers",
    "encode_gold",
    "make_aggregator",
]


def make_aggregator(method: str = DEFAULT_METHOD) -> Any:
    """A fresh estimator for a method name, configured as the platform uses it."""
    if method == "mv":
        return MajorityVote()
    if method == "wmv":
        return WeightedMajorityVote()
    if method == "ds":
        return DawidSkene(smoothing=DS_SMOOTHING)
    if method == "ods":
        return OneCoinDawidSkene()
    if method == "gds":
        return GoldSeededDawidSkene(smoothing=DS_SMOOTHING)
    raise ValidationFailed(
        f"unknown aggregation method {method!r}; choose one of {', '.join(METHODS)}",
        code="aggregation_unknown_method",
        field="method",
    )
