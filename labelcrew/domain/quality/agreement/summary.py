"""Inter-annotator agreement: every measure labelcrew reports, and one summary of them all.

The measures live in small modules, each with its formula and citation:

- `agreement_data`: long-format input (``item``, ``rater``, ``value`` arrays, missing = absent
  rows) and `factorize` for string labels;
- `agreement_alpha`: Krippendorff's alpha (nominal, ordinal, interval, ratio) and per-label
  one-vs-rest alpha;
- `agreement_kappa`: percent agreement, Fleiss' kappa, Cohen's kappa per rater pair;
- `agreement_sets`: alpha for multi-choice labels with Jaccard and MASI distances;
- `agreement_structured`: span F1 and Kendall's tau for rankings;
- `agreement_thresholds`: strong / acceptable / warning levels and their crossings.

Convention for all of them: an *undefined* measure (nothing pairable, no variation) is NaN;
structurally bad input raises ValidationFailed. `summarize` turns NaN into None so that its
result is a plain, JSON-ready dict.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from labelcrew.domain.quality.agreement.alpha import (
    LEVELS,
    Level,
    krippendorff_alpha,
    per_label_alpha,
)
from labelcrew.domain.quality.agreement.data import as_column, factorize
from labelcrew.domain.quality.agreement.kappa import (
    PairwiseKappa,
    cohen_kappa_pairwise,
    fleiss_kappa,
    fleiss_kappa_table,
    percent_agreement,
)
from labelcrew.domain.quality.agreement.sets import set_alpha, set_distances
from labelcrew.domain.quality.agreement.structured import kendall_tau, ranking_tau, span_f1
from labelcrew.domain.quality.agreement.thresholds import AgreementThresholds, Crossing, crossing
from labelcrew.errors import ValidationFailed

__all__ = [
    "LEVELS",
    "AgreementThresholds",
    "Crossing",
    "Level",
    "PairwiseKappa",
    "cohen_kappa_pairwise",
    "crossing",
    "factorize",
    "fleiss_kappa",
    "fleiss_kappa_table",
    "kendall_tau",
    "krippendorff_alpha",
    "per_label_alpha",
    "percent_agreement",
    "ranking_tau",
    "set_alpha",
    "set_distances",
    "span_f1",
    "summarize",
]


def _plain(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def summarize(
    item: npt.ArrayLike,
    rater: npt.ArrayLike,
    value: npt.ArrayLike,
    level: Level | str = "nominal",
    thresholds: AgreementThresholds | None = None,
) -> dict[str, Any]:
    """Every agreement measure of one long table, as a plain JSON-ready dict.

    Keys: ``counts`` (ratings, items, raters, pairable items, categories), ``percent_agreement``,
    ``fleiss_kappa``, ``alpha`` (nominal, plus ``level`` when it is not nominal),
    ``cohen_kappa`` (mean / min / max over defined pairs and the ``pairs`` with at least two
    shared items), ``per_label`` (one-vs-rest alpha per category), and ``levels`` (the
    threshold level of alpha at ``level``, of Fleiss' kappa and of mean Cohen's kappa).
    Undefined values are None. Nominal measures compare values by equality; ``level`` applies
    to alpha and needs numeric values unless it is nominal.
    """
    if level not in LEVELS:
        raise ValidationFailed(
            f"level must be one of {', '.join(LEVELS)}, got {level!r}",
            code="agreement_bad_level",
            field="level",
        )
    thresholds = thresholds or AgreementThresholds()
    items = as_column("item", item)
    raters = as_column("rater", rater, items.size)
    values = as_column("value", value, items.size)
    pairwise = cohen_kappa_pairwise(items, raters, values)
    _, per_item = np.unique(items, return_counts=True)

    alpha = {"nominal": _plain(krippendorff_alpha(items, values, "nominal"))}
    if level != "nominal":
        alpha[level] = _plain(krippendorff_alpha(items, values, level))
    defined = pairwise.kappa[np.triu_indices(len(pairwise.raters), k=1)]
    defined = defined[~np.isnan(defined)]
    mean_kappa = float(defined.mean()) if defined.size else None
    cohen = {
        "mean": mean_kappa,
        "min": float(defined.min()) if defined.size else None,
        "max": float(defined.max()) if defined.size else None,
        "n_pairs_defined": int(defined.size),
        "pairs": pairwise.pairs(min_shared=2),
    }
    fleiss = _plain(fleiss_kappa(items, values))
    per_label = [
        {"label": label, "alpha": _plain(a)} for label, a in per_label_alpha(items, values).items()
    ]
    return {
        "counts": {
            "ratings": int(items.size),
            "items": len(per_item),
            "raters": len(pairwise.raters),
            "pairable_items": int((per_item >= 2).sum()),
            "categories": len(np.unique(values)),
        },
        "level": level,
        "percent_agreement": _plain(percent_agreement(items, values)),
        "fleiss_kappa": fleiss,
        "alpha": alpha,
        "cohen_kappa": cohen,
        "per_label": per_label,
        "thresholds": {"strong": thresholds.strong, "warning": thresholds.warning},
        "levels": {
            "alpha": thresholds.classify_or_none(alpha[level]),
            "fleiss_kappa": thresholds.classify_or_none(fleiss),
            "cohen_kappa_mean": thresholds.classify_or_none(mean_kappa),
        },
    }
