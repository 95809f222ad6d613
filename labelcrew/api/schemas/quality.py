"""Response models of `api/routes/quality.py`: agreement, gold accuracy, drift scans, alerts.

The agreement summary (`labelcrew.domain.quality.agreement.summary.summarize`) is also part of
a calibration session's results and of a release's manifest; those modules use the models here.
"""

from __future__ import annotations

from typing import Any, Literal

from labelcrew.api.schemas import Out

AgreementLevel = Literal["strong", "acceptable", "warning"]
MeasureLevel = Literal["nominal", "ordinal", "interval", "ratio"]


class AgreementCounts(Out):
    """What the agreement figures rest on; a project without labels has `ratings` (0) only."""

    ratings: int
    items: int | None = None
    raters: int | None = None
    pairable_items: int | None = None
    categories: int | None = None


class RaterPairKappa(Out):
    """Cohen's kappa of two raters over the items both rated (None when undefined)."""

    rater_a: str
    rater_b: str
    kappa: float | None
    n_shared: int


class CohenKappaSummary(Out):
    """Cohen's kappa over rater pairs: mean, min and max of the defined ones, and the pairs
    (left out of a release's manifest)."""

    mean: float | None
    min: float | None
    max: float | None
    n_pairs_defined: int
    pairs: list[RaterPairKappa] | None = None


class LabelAlpha(Out):
    """One-vs-rest Krippendorff's alpha of one category (None when undefined)."""

    label: str
    alpha: float | None


class AgreementThresholdsOut(Out):
    """The project's agreement levels: at or above `strong` is strong, below `warning` warns."""

    strong: float
    warning: float


class AgreementLevels(Out):
    """The threshold level of alpha, of Fleiss' kappa and of mean Cohen's kappa."""

    alpha: AgreementLevel | None
    fleiss_kappa: AgreementLevel | None
    cohen_kappa_mean: AgreementLevel | None


class AgreementSummary(Out):
    """Every agreement measure over one set of ratings; undefined measures are None."""

    counts: AgreementCounts
    level: MeasureLevel
    percent_agreement: float | None
    fleiss_kappa: float | None
    alpha: dict[str, float | None]  # by measurement level: "nominal", plus `level`'s
    cohen_kappa: CohenKappaSummary
    per_label: list[LabelAlpha]
    thresholds: AgreementThresholdsOut
    levels: AgreementLevels


class FieldAgreementOut(Out):
    """Agreement on one schema field by the measure that fits its kind (`measure`); `value`
    is None until two members labelled one item (or when no value varies). `n_items` and
    `n_ratings` count the items with two or more labels and their labels."""

    field: str
    kind: str
    measure: str
    value: float | None
    n_items: int
    n_ratings: int
    per_label: dict[str, float]
    extra: dict[str, float]


class ProjectFieldAgreementOut(FieldAgreementOut):
    """A field's agreement on the project, and whether the schema requires the field."""

    required: bool


class ProjectAgreementOut(Out):
    """Agreement on the project's primary field; without labels, `field` and `counts` only."""

    field: str
    counts: AgreementCounts
    level: MeasureLevel | None = None
    percent_agreement: float | None = None
    fleiss_kappa: float | None = None
    alpha: dict[str, float | None] | None = None
    cohen_kappa: CohenKappaSummary | None = None
    per_label: list[LabelAlpha] | None = None
    thresholds: AgreementThresholdsOut | None = None
    levels: AgreementLevels | None = None


class AgreementTrendPoint(Out):
    """One recorded agreement measurement (snapshots without details have alpha only)."""

    at: str
    alpha: float | None
    ratings: int
    percent_agreement: float | None = None
    fleiss_kappa: float | None = None


class GoldAccuracyOut(Out):
    """Gold answers right out of `n`, with a Wilson interval (`accuracy` None when n is 0)."""

    n: int
    correct: int
    accuracy: float | None
    low: float
    high: float


class MemberGoldAccuracy(Out):
    """One member's gold accuracy overall, per gold label and per deciding rule."""

    overall: GoldAccuracyOut
    by_label: dict[str, GoldAccuracyOut]
    by_rule: dict[str, GoldAccuracyOut]


class GoldReportOut(Out):
    """Gold accuracy per member (by username) over each group's latest `window` answers."""

    window: int | None
    members: dict[str, MemberGoldAccuracy]


class GoldSupplyOut(Out):
    """Open ordinary and gold items, the gold share of the open queue and the gold rates it
    falls short of."""

    open_items: int
    open_gold: int
    gold_after_queue: int
    gold_share: float
    gold_rate: float
    probation_gold_rate: float
    short_of: list[Literal["gold_rate", "probation_gold_rate"]]


class DriftAlertRaised(Out):
    """A drift alert a scan raised or refreshed for one member (`subject` on class-confusion
    alerts: `member:<name>:<true class>-><given class>`)."""

    member: str
    kind: str
    subject: str | None = None
    message: str
    evidence: dict[str, Any]


class QualityScanOut(Out):
    """A recorded agreement measurement and the drift alerts of the scan."""

    agreement: ProjectAgreementOut
    drift: list[DriftAlertRaised]


class AlertOut(Out):
    """Something a lead should look at, with the evidence that raised it."""

    id: int
    kind: str
    severity: str
    subject: str
    message: str
    evidence: dict[str, Any]
    state: str
    created_at: str
    updated_at: str
    resolved_at: str | None


class HoneypotFigures(Out):
    """One member's honeypot answers: how many, missed, the miss rate, and misses among their
    latest ten (two raise an alert, three pause the member)."""

    n: int
    missed: int
    miss_rate: float
    recent_missed: int


class HoneypotMade(Out):
    """A unanimously labelled item made a honeypot, and its answer."""

    item_id: int
    value: dict[str, Any]
