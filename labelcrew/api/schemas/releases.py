"""Response models of `api/routes/releases.py`: release notes (header and manifest), the
exclusion list, the hash check, diffs, and the Label Studio export's JSON.

A release never changes once published, so its manifest is described here key by key."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from labelcrew.api.schemas import Out
from labelcrew.api.schemas.quality import (
    AgreementCounts,
    AgreementLevels,
    AgreementThresholdsOut,
    CohenKappaSummary,
    FieldAgreementOut,
    LabelAlpha,
    MeasureLevel,
)


class ReleaseSummaryOut(Out):
    """A published release: how it was computed, its content hash and its counts."""

    name: str
    number: int
    method: str
    min_confidence: float | None
    field: str | None  # the first single-choice field; None when the schema has none
    content_hash: str
    included: int
    excluded: int
    created_by: int | None
    created_at: str


class ReleaseProjectRef(Out):
    """The project a release belongs to."""

    id: int
    slug: str


class ReleaseCounts(Out):
    """Items in a release, included and excluded (by reason), included ones by source, and
    the labels they rest on."""

    items: int
    included: int
    excluded: int
    excluded_by_reason: dict[str, int]
    by_source: dict[str, int]
    labels: int


class ReleaseConfidence(Out):
    """Confidence of the included labels (None without any)."""

    mean: float | None
    median: float | None
    min: float | None


class PreviousRelease(Out):
    """The release published just before this one."""

    name: str
    content_hash: str


class ReleaseChangelogEntry(Out):
    """A guideline version published since the previous release."""

    version: int
    changelog: str
    published_at: str | None


class ReleaseAgreement(Out):
    """Agreement in a release: the first single-choice field's full summary (absent when the
    schema has none), and every field's own measure under `fields` (releases since per-field
    consensus)."""

    counts: AgreementCounts | None = None
    level: MeasureLevel | None = None
    percent_agreement: float | None = None
    fleiss_kappa: float | None = None
    alpha: dict[str, float | None] | None = None
    cohen_kappa: CohenKappaSummary | None = None
    per_label: list[LabelAlpha] | None = None
    thresholds: AgreementThresholdsOut | None = None
    levels: AgreementLevels | None = None
    fields: dict[str, FieldAgreementOut] | None = None


class ReleaseFieldSummary(Out):
    """One field over a release's included rows: the methods that decided it, its mean and
    lowest confidence (None for free text), and the rows it excluded as the reason."""

    methods: list[str]
    mean_confidence: float | None
    min_confidence: float | None
    excluded: int


class ReleaseManifest(Out):
    """The release notes: the definition (field, categories, method, estimator, threshold),
    versions, counts, label distribution, confidence, agreement (without per-pair kappas),
    the guideline changelog and the content hash."""

    format: int
    project: ReleaseProjectRef
    field: str | None
    categories: list[str]
    method: str
    estimator: str | None
    min_confidence: float | None
    field_methods: dict[str, str] | None = None  # since per-field releases
    schema_version: int
    guideline_version: int | None
    schema_versions: list[int]
    guideline_versions: list[int]
    counts: ReleaseCounts
    label_distribution: dict[str, int]
    fields: dict[str, ReleaseFieldSummary] | None = None  # since per-field releases
    confidence: ReleaseConfidence
    agreement: ReleaseAgreement | None
    previous: PreviousRelease | None
    guideline_changelog: list[ReleaseChangelogEntry]
    content_hash: str


class ReleaseOut(ReleaseSummaryOut):
    """A release with its manifest."""

    manifest: ReleaseManifest


class ReleaseExcludedItem(Out):
    """An item a release left out, why, and the evidence (no label)."""

    item_id: int
    external_id: str
    reason: str
    reason_field: str | None  # the field that excluded it (None before per-field releases)
    n_labels: int
    confidence: float | None


class ReleaseVerifyOut(Out):
    """The content hash recomputed from the stored rows: `ok` when nothing changed."""

    name: str
    content_hash: str
    recomputed: str
    ok: bool


class ReleaseDiffEnd(Out):
    """One of the two releases a diff compares."""

    name: str
    content_hash: str
    method: str


class ReleaseDiffCounts(Out):
    """How many labels a diff found added, removed, changed and changed in confidence only."""

    added: int
    removed: int
    changed: int
    confidence_changed: int


class ReleaseDiffAdded(Out):
    """An item included in the newer release and not in the older one."""

    item_id: int
    external_id: str
    label: str | None
    confidence: float | None
    source: str
    reasons: list[str]


class ReleaseDiffRemoved(Out):
    """An item included in the older release and not in the newer one."""

    item_id: int
    external_id: str
    label: str | None
    confidence: float | None
    reasons: list[str]


class ReleaseDiffChanged(Out):
    """An item whose label (or other fields of its value) changed."""

    item_id: int
    external_id: str
    old_label: str | None
    old_confidence: float | None
    new_label: str | None
    new_confidence: float | None
    reasons: list[str]


class ReleaseDiffConfidence(Out):
    """An item whose label stayed and whose confidence changed."""

    item_id: int
    external_id: str
    label: str | None
    old_label: str | None
    old_confidence: float | None
    new_label: str | None
    new_confidence: float | None
    reasons: list[str]


class ReleaseDiffOut(Out):
    """What a consumer of release `from` sees change in release `to`, with reasons."""

    from_: ReleaseDiffEnd = Field(alias="from")
    to: ReleaseDiffEnd
    same_content: bool
    counts: ReleaseDiffCounts
    added: list[ReleaseDiffAdded]
    removed: list[ReleaseDiffRemoved]
    changed: list[ReleaseDiffChanged]
    confidence_changed: list[ReleaseDiffConfidence]


class LabelStudioResult(Out):
    """One region of a label as a Label Studio result: choices, rating, number, textarea,
    labels (spans, UTF-16 offsets), rectanglelabels (boxes in percent of the original
    image size), ranker or pairwise."""

    id: str
    from_name: str
    to_name: str
    type: str
    value: dict[str, Any]
    origin: str
    original_width: float | None = None
    original_height: float | None = None
    image_rotation: float | None = None


class LabelStudioUser(Out):
    """Who made the annotation: the e-mail the member had in Label Studio, else
    `<username>@labelcrew.local` (`consensus@labelcrew.local` for the consensus)."""

    email: str
    first_name: str
    last_name: str


class LabelStudioAnnotation(Out):
    """The consensus or one annotator's label as a Label Studio annotation."""

    id: int | str
    completed_by: LabelStudioUser
    result: list[LabelStudioResult]
    ground_truth: bool
    was_cancelled: bool
    lead_time: float | None


class LabelStudioPrediction(Out):
    model_version: str
    score: float | None
    result: list[LabelStudioResult]


class LabelStudioMeta(Out):
    """The release's columns of the item that Label Studio has no place for."""

    external_id: str
    labelcrew_item_id: int
    release: str
    content_hash: str
    label: str | None  # None when the schema has no single-choice field
    confidence: float | None
    source: str
    method: str
    n_labels: int
    guideline_versions: list[int]
    schema_versions: list[int]
    value: dict[str, Any]
    votes: dict[str, int]
    fields: dict[str, dict[str, Any]]  # each field's value, confidence, method, source
    annotations: list[dict[str, Any]]  # every live label by its annotator
    # field -> why it is not in the results (a box without the image size to write percent)
    not_exported: dict[str, str] | None = None


class LabelStudioTask(Out):
    """One included item of a release as a Label Studio task (`format=labelstudio`)."""

    id: int
    data: dict[str, Any]
    annotations: list[LabelStudioAnnotation]
    predictions: list[LabelStudioPrediction]
    meta: LabelStudioMeta
