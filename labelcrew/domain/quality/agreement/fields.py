"""Agreement on one field of a label schema, with the measure that fits its kind.

`field_agreement(field, item, rater, value)` takes long-format rows (one per rating, the raw
stored value; a None value is an absent rating) and returns a `FieldAgreement`. Measures
(`FIELD_MEASURES`), each computed over the items with two or more ratings:

| kind | ``measure`` | ``extra`` | ``per_label`` |
|---|---|---|---|
| single_choice | ``alpha_nominal``: Krippendorff's alpha, nominal | ``percent_agreement``, ``fleiss_kappa`` | one-vs-rest alpha per option |
| rating | ``alpha_interval``: alpha, interval (closed form, any number of distinct values) | ``ordinal_alpha``, ``percent_agreement`` | - |
| multi_choice | ``alpha_masi``: alpha with the MASI distance (Passonneau 2006) | ``jaccard_alpha`` | nominal alpha of each option's present/absent |
| ranking | ``alpha_kendall_tau``: alpha with ``d = (1 - tau_b) / 2`` | ``mean_kendall_tau`` (tau-b) | - |
| spans | ``pairwise_f1_iou``: mean pairwise F1, IoU >= 0.5, same label | ``exact_f1``, ``character_alpha`` (character-level nominal alpha) | pooled F1 per label |
| bbox | ``pairwise_f1_iou``: the same, one to one, IoU >= the field's ``iou_threshold`` | ``mean_iou`` of matched pairs | pooled F1 per label |
| text | ``mean_levenshtein_similarity``: mean pairwise 1 - Levenshtein / max length | ``exact_agreement`` | - |

Multi-choice and ranking alphas cost O(V^2) in the number V of distinct sets or rankings
(`sets.distance_alpha`, memory bounded by blocks); everything else is linear or per item.

Sources: Krippendorff, K. (2011), *Computing Krippendorff's Alpha-Reliability* (alpha and its
distances; `alpha`); Fleiss (1971) (`kappa`); Passonneau, R. (2006), MASI, LREC (`sets`);
Kendall (1945), tau-b (`structured`); Hripcsak & Rothschild (2005), F-measure
(`fields_regions`); Levenshtein (1966) (`fields_text`). Free text is reported, never voted.

Ranking distance: ``d(a, b) = (1 - tau_b(a, b)) / 2`` is 0 for equal rankings, 1/2 for unrelated
ones and 1 for reversed ones; where tau_b is undefined (one ranking ties every candidate, the
other does not) it is taken as 0, so d = 1/2. Alpha is `sets.distance_alpha` with this d.
Kendall's tau-b is the cosine of the two rankings' pair-sign vectors
``s_ij = sign(pos_i - pos_j)`` over pairs i < j (its numerator is ``s_a . s_b`` and its
denominator ``|s_a| |s_b|``, the square roots of the untied pair counts), which gives all the
distances of a block in one matrix product.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

from labelcrew.domain.quality.agreement.alpha import krippendorff_alpha, per_label_alpha
from labelcrew.domain.quality.agreement.data import FloatArray, IntArray
from labelcrew.domain.quality.agreement.fields_common import (
    FieldAgreement,
    Rows,
    group_rows,
    mean_or_nan,
)
from labelcrew.domain.quality.agreement.fields_regions import region_agreement
from labelcrew.domain.quality.agreement.fields_text import text_agreement
from labelcrew.domain.quality.agreement.kappa import fleiss_kappa, percent_agreement
from labelcrew.domain.quality.agreement.sets import distance_alpha, set_cross_distances
from labelcrew.errors import ValidationFailed

__all__ = [
    "FIELD_MEASURES",
    "FieldAgreement",
    "field_agreement",
    "interval_alpha",
    "pair_signs",
    "rank_positions",
    "tau_b_matrix",
]

FIELD_MEASURES: dict[str, str] = {
    "single_choice": "alpha_nominal",
    "rating": "alpha_interval",
    "multi_choice": "alpha_masi",
    "ranking": "alpha_kendall_tau",
    "spans": "pairwise_f1_iou",
    "bbox": "pairwise_f1_iou",
    "text": "mean_levenshtein_similarity",
}

Measured = tuple[float, dict[str, float], dict[str, float]]


def field_agreement(
    field: Any, item: Sequence[Hashable], rater: Sequence[Hashable], value: Sequence[Any]
) -> FieldAgreement:
    """Agreement on one schema field from long-format (item, rater, raw value) rows."""
    measure = _MEASURES.get(field.kind)
    if measure is None:
        raise ValidationFailed(
            f"no agreement measure for field kind {field.kind!r}",
            code="agreement_unknown_kind",
            field=field.name,
        )
    rows = group_rows(item, rater, value)
    pairable = [len(answers) for answers in rows.values() if len(answers) >= 2]
    figure, per_label, extra = measure(field, rows)
    return FieldAgreement(
        field=field.name,
        kind=field.kind,
        measure=FIELD_MEASURES[field.kind],
        value=None if np.isnan(figure) else float(figure),
        n_items=len(pairable),
        n_ratings=sum(pairable),
        per_label={str(k): float(v) for k, v in per_label.items() if not np.isnan(v)},
        extra={k: float(v) for k, v in extra.items() if not np.isnan(v)},
    )


def _flat(field: Any, rows: Rows) -> tuple[IntArray, list[Hashable]]:
    """Unit codes and canonical (`agreement_value`) values, one per rating."""
    units: list[int] = []
    values: list[Hashable] = []
    for code, answers in enumerate(rows.values()):
        for _, value in answers:
            units.append(code)
            values.append(field.agreement_value(value))
    return np.array(units, dtype=np.intp), values


def _codes(values: Sequence[Hashable]) -> tuple[IntArray, list[Hashable]]:
    domain: dict[Hashable, int] = {}
    codes = [domain.setdefault(v, len(domain)) for v in values]
    return np.array(codes, dtype=np.intp), list(domain)


def _single_choice(field: Any, rows: Rows) -> Measured:
    units, values = _flat(field, rows)
    codes, names = _codes(values)
    per_label = {str(names[c]): a for c, a in per_label_alpha(units, codes).items()}
    extra = {
        "percent_agreement": percent_agreement(units, codes),
        "fleiss_kappa": fleiss_kappa(units, codes),
    }
    return krippendorff_alpha(units, codes, "nominal"), per_label, extra


def interval_alpha(units: IntArray, values: FloatArray) -> float:
    """Interval alpha in closed form, O(N): no V x V matrix, so no cap on distinct values.

    With ``d = (v - w)^2``, ``sum_{i != j in u} d = 2 m_u SS_u`` (``SS_u`` the squared
    deviations from the unit mean), so ``alpha = 1 - (n - 1) sum_u [2 m_u SS_u / (m_u - 1)] /
    (2 n SS)`` over pairable units, SS taken about the mean of all n pairable values: the
    formula of `alpha` exactly. NaN when nothing is pairable or all pairable values are equal.
    """
    per_unit = np.bincount(units) if units.size else np.zeros(0, dtype=np.intp)
    keep = per_unit[units] >= 2
    if not keep.any():
        return float("nan")
    u, v = units[keep], values[keep]
    if np.ptp(v) == 0:
        return float("nan")
    m = per_unit[u].astype(np.float64)
    unit_mean = np.bincount(u, weights=v, minlength=per_unit.size) / np.maximum(per_unit, 1)
    within = np.bincount(u, weights=(v - unit_mean[u]) ** 2 * 2.0 * m / (m - 1.0)).sum()
    n = float(v.size)
    total = 2.0 * n * float(((v - v.mean()) ** 2).sum())
    return float(1.0 - (n - 1.0) * within / total)


def _mid_ranks(units: IntArray, values: FloatArray) -> FloatArray:
    """Each pairable value's mid-rank ``r_c = sum_{g < c} n_g + n_c / 2`` among the pairable
    values (Krippendorff's ordinal metric is ``(r_c - r_k)^2``, so ordinal alpha is interval
    alpha on mid-ranks). Values of unpairable units get some rank; alpha ignores them."""
    per_unit = np.bincount(units) if units.size else np.zeros(0, dtype=np.intp)
    pairable = values[per_unit[units] >= 2]
    domain, counts = np.unique(pairable, return_counts=True)
    ranks = np.cumsum(counts) - counts / 2.0
    index = np.clip(np.searchsorted(domain, values), 0, max(len(domain) - 1, 0))
    return ranks[index] if len(domain) else np.zeros_like(values)


def _rating(field: Any, rows: Rows) -> Measured:
    units, values = _flat(field, rows)
    numbers = np.array(values, dtype=np.float64)
    extra = {
        "ordinal_alpha": interval_alpha(units, _mid_ranks(units, numbers)),
        "percent_agreement": percent_agreement(units, numbers),
    }
    return interval_alpha(units, numbers), {}, extra


def _multi_choice(field: Any, rows: Rows) -> Measured:
    units, values = _flat(field, rows)
    sets = [frozenset(v) for v in values]  # type: ignore[call-overload]

    def alpha(kind: Any) -> float:
        return distance_alpha(units, sets, lambda a, b: set_cross_distances(a, b, kind))

    per_label = {
        option: krippendorff_alpha(units, np.array([option in s for s in sets], dtype=np.intp))
        for option in field.options
    }
    return alpha("masi"), per_label, {"jaccard_alpha": alpha("jaccard")}


def rank_positions(field: Any, value: Any) -> FloatArray:
    """``pos[c]``: the rank (0 = best) of candidate c; tied candidates share a rank."""
    positions = np.zeros(field.candidates, dtype=np.float64)
    for rank, entry in enumerate(value):
        positions[list(entry) if isinstance(entry, list | tuple) else entry] = rank
    return positions


def pair_signs(positions: FloatArray) -> FloatArray:
    """Rows of ``sign(pos_i - pos_j)`` over candidate pairs i < j, for rankings x candidates."""
    first, second = np.triu_indices(positions.shape[1], k=1)
    signs: FloatArray = np.sign(positions[:, first] - positions[:, second])
    return signs


def tau_b_matrix(a: FloatArray, b: FloatArray, *, undefined: float = np.nan) -> FloatArray:
    """Kendall's tau-b between every row of ``a`` and of ``b`` (pair-sign vectors).

    Where a ranking ties every candidate tau-b is 0/0: ``undefined`` then, and 1 where both
    rankings tie everything (they are equal).
    """
    norm_a = (a * a).sum(axis=1)[:, None]  # untied pairs: whole numbers, so equal rankings
    norm_b = (b * b).sum(axis=1)[None, :]  # get sqrt(k^2) = k and tau exactly 1
    scale = np.sqrt(norm_a * norm_b)
    tau: FloatArray = np.divide(
        a @ b.T, scale, out=np.full(scale.shape, undefined), where=scale > 0
    )
    tau[(norm_a == 0) & (norm_b == 0)] = 1.0
    return np.clip(tau, -1.0, 1.0, out=tau, where=~np.isnan(tau))


def _ranking(field: Any, rows: Rows) -> Measured:
    units, values = _flat(field, rows)
    distinct = list(dict.fromkeys(values))
    if not distinct:
        return float("nan"), {}, {}
    row_of = {v: i for i, v in enumerate(distinct)}
    signs = pair_signs(np.stack([rank_positions(field, v) for v in distinct]))

    def distance(a: Sequence[Hashable], b: Sequence[Hashable]) -> FloatArray:
        tau = tau_b_matrix(signs[[row_of[x] for x in a]], signs[[row_of[x] for x in b]])
        return (1.0 - np.nan_to_num(tau, nan=0.0)) / 2.0

    taus = []
    for answers in rows.values():
        if len(answers) >= 2:
            mine = signs[[row_of[field.agreement_value(v)] for _, v in answers]]
            first, second = np.triu_indices(len(answers), k=1)
            pair_tau = tau_b_matrix(mine, mine)[first, second]
            taus.append(mean_or_nan(list(pair_tau)))
    extra = {"mean_kendall_tau": mean_or_nan(taus)}
    return distance_alpha(units, values, distance), {}, extra


def _text(field: Any, rows: Rows) -> Measured:
    return text_agreement(rows)


_MEASURES: dict[str, Callable[[Any, Rows], Measured]] = {
    "single_choice": _single_choice,
    "rating": _rating,
    "multi_choice": _multi_choice,
    "ranking": _ranking,
    "spans": region_agreement,
    "bbox": region_agreement,
    "text": _text,
}
