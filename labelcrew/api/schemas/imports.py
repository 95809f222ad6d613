"""Response models of item import (`api/routes/imports.py`)."""

from __future__ import annotations

from typing import Any

from labelcrew.api.schemas import Out
from labelcrew.api.schemas.releases import LabelStudioAnnotation, LabelStudioPrediction


class ImportRowError(Out):
    """One rejected row of an import: its line, the field (null: the whole row) and why."""

    line: int
    field: str | None
    message: str


class ImportReportOut(Out):
    """What an import did: rows read, items created or unchanged, rows rejected (the first
    `max_errors` of them listed), batches created, gold items set, bytes read."""

    format: str
    filename: str
    rows_read: int
    created: int
    unchanged: int
    rejected: int
    error_count: int
    errors: list[ImportRowError]
    batches_created: int
    gold_set: int
    bytes_read: int


class LabelStudioFieldOut(Out):
    """A Label Studio control and the labelcrew field it became."""

    from_name: str
    tag: str
    field: str
    kind: str


class LabelStudioUnmappedOut(Out):
    """A control of the labeling config that did not become a field, and why."""

    name: str
    tag: str
    reason: str


class LabelStudioReportOut(Out):
    """What a Label Studio import did (or, with `dry_run`, would do): the fields made and the
    controls not mapped, items, labels, gold answers and predictions created or already
    there, members created (inactive until invited) or mapped by e-mail, regions of controls
    without a field (counted by control name), cancelled annotations skipped."""

    project: str
    format: str
    dry_run: bool
    project_created: bool
    schema_version: int | None
    schema_changed: bool
    fields: list[LabelStudioFieldOut]
    unmapped: list[LabelStudioUnmappedOut]
    tasks: int
    items_created: int
    items_unchanged: int
    annotations_created: int
    annotations_unchanged: int
    cancelled_skipped: int
    gold_set: int
    predictions_created: int
    predictions_by_id_only: int  # Label Studio's quick export lists them by id only
    members_created: list[str]
    members_mapped: list[str]
    regions_not_mapped: dict[str, int]


class LabelStudioExportMeta(Out):
    external_id: str
    labelcrew_item_id: int
    # field -> why it is not in the results (a box without the image size to write percent)
    not_exported: dict[str, str] | None = None


class LabelStudioExportTask(Out):
    """One item of a live project as a Label Studio task: each live label an annotation by
    its annotator, the gold answer as the ground-truth one, the kept predictions."""

    id: int
    data: dict[str, Any]
    annotations: list[LabelStudioAnnotation]
    predictions: list[LabelStudioPrediction]
    meta: LabelStudioExportMeta


class LabelStudioConfigOut(Out):
    """The Label Studio labeling config (XML text) of the project's exports: the imported
    one, or one built from the schema."""

    config: str
