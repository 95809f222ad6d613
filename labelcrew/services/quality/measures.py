"""The quality engine over stored labels: agreement, gold accuracy and drift scans.

Each use case reads the live (not superseded) annotations of a project on its primary field
(the first single-choice field of the current schema), hands plain arrays to the pure domain
code, records a snapshot for trends and raises alerts with their evidence.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Annotation, GoldAnswer, Project, User
from labelcrew.db.models.quality import QualitySnapshot
from labelcrew.domain.quality import gold
from labelcrew.domain.quality.agreement.summary import summarize
from labelcrew.domain.quality.agreement.thresholds import AgreementThresholds, crossing
from labelcrew.errors import Conflict
from labelcrew.services.projects.projects import load_project
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.quality import drift_scan
from labelcrew.services.quality.alerts import raise_alert
from labelcrew.services.quality.confusion_scan import confusion_findings, raise_confusion_alerts
from labelcrew.services.quality.effort_evidence import effort_of
from labelcrew.services.quality.gold_scope import knowledge_answers
from labelcrew.services.uow import Database, UnitOfWork


def thresholds_of(project: Project) -> AgreementThresholds:
    conf = project.settings.get("agreement_thresholds", {})
    return AgreementThresholds(
        strong=float(conf.get("strong", 0.8)), warning=float(conf.get("warning", 0.6))
    )


def primary_field_of(uow: UnitOfWork, project: Project) -> tuple[str, list[str]]:
    """The field the quality engine measures (the schema's first single-choice field) and its
    categories; relabel and calibration pick items by the same field."""
    found = _primary_or_none(uow, project)
    if found is None:
        raise Conflict(
            "the schema has no single-choice field to measure agreement on", code="no_primary_field"
        )
    return found


def _primary_or_none(uow: UnitOfWork, project: Project) -> tuple[str, list[str]] | None:
    """`primary_field_of`, or None when the schema has no single-choice field."""
    if project.schema_version is None:
        raise Conflict("this project has no label schema yet", code="no_schema")
    schema = schema_for(uow, project.id, project.schema_version)
    primary = schema.primary_field
    return None if primary is None else (primary.name, schema.categories(primary.name))


def measure_agreement(db: Database, project_id: int, *, record: bool = True) -> dict[str, Any]:
    """Every agreement figure on the overlap items. With `record`, keeps a snapshot for the
    trend and raises an alert when alpha crosses a threshold downwards (e.g. acceptable ->
    warning) or sits below the warning level. The figures are computed in a read-only unit of
    work; only the snapshot and the alert are written, in a short one after it."""
    with db.uow(read_only=True) as uow:
        project = load_project(uow, project_id)
        field, _ = primary_field_of(uow, project)
        rows = [
            r for r in drift_scan.live_labels(uow, project.id) if r.value.get(field) is not None
        ]
        thresholds = thresholds_of(project)
    if not rows:
        return {"field": field, "counts": {"ratings": 0}}
    summary = summarize(
        [r.item_id for r in rows],
        [r.username for r in rows],
        [r.value[field] for r in rows],
        thresholds=thresholds,
    )
    summary["field"] = field
    if record:
        with db.uow() as uow:
            _record_alpha(uow, project_id, field, summary, thresholds)
            uow.commit()
    return summary


def _record_alpha(
    uow: UnitOfWork,
    project_id: int,
    field: str,
    summary: dict[str, Any],
    thresholds: AgreementThresholds,
) -> None:
    alpha = summary["alpha"]["nominal"]
    previous = uow.session.scalar(
        select(QualitySnapshot.value)
        .where(QualitySnapshot.project_id == project_id, QualitySnapshot.metric == "alpha")
        .order_by(QualitySnapshot.at.desc(), QualitySnapshot.id.desc())
        .limit(1)
    )
    uow.session.add(
        QualitySnapshot(
            project_id=project_id,
            metric="alpha",
            subject="project",
            value=alpha,
            n=int(summary["counts"]["ratings"]),
            at=uow.now,
            details={
                "percent_agreement": summary["percent_agreement"],
                "fleiss_kappa": summary["fleiss_kappa"],
            },
        )
    )
    moved = crossing(previous, alpha, thresholds) if previous is not None else None
    level = thresholds.classify_or_none(alpha)
    if (moved is not None and moved.direction == "down") or level == "warning":
        raise_alert(
            uow,
            project_id=project_id,
            kind="agreement",
            subject="project",
            severity="warning",
            message=f"Krippendorff's alpha on {field} is {alpha:.3f} "
            f"({level}; warning below {thresholds.warning})",
            evidence={
                "alpha": alpha,
                "previous": previous,
                "level": level,
                "ratings": summary["counts"]["ratings"],
            },
        )


def agreement_trend(db: Database, project_id: int) -> list[dict[str, Any]]:
    with db.uow(read_only=True) as uow:
        rows = uow.session.scalars(
            select(QualitySnapshot)
            .where(QualitySnapshot.project_id == project_id, QualitySnapshot.metric == "alpha")
            .order_by(QualitySnapshot.at)
        )
        return [
            {"at": s.at.isoformat(), "alpha": s.value, "ratings": s.n, **s.details} for s in rows
        ]


def _gold_rows(uow: UnitOfWork, project_id: int) -> list[Any]:
    return list(
        uow.session.execute(
            select(
                Annotation.annotator_id,
                User.username,
                Annotation.item_id,
                Annotation.gold_correct,
                GoldAnswer.value,
                GoldAnswer.rule_number,
                Annotation.id,
            )
            .join(User, User.id == Annotation.annotator_id)
            .join(GoldAnswer, GoldAnswer.item_id == Annotation.item_id)
            # not honeypots (their own report) nor gold under an open dispute
            .where(Annotation.project_id == project_id, knowledge_answers(uow, project_id))
            .order_by(Annotation.annotator_id, Annotation.id)
        )
    )


def gold_report(db: Database, project_id: int, *, window: int | None = 50) -> dict[str, Any]:
    """Gold accuracy per member over a rolling window, per label and per rule."""
    with db.uow(read_only=True) as uow:
        project = load_project(uow, project_id)
        primary = _primary_or_none(uow, project)
        field = primary[0] if primary else None
        rows = _gold_rows(uow, project.id)
    # By label: the first single-choice field's gold value; "-" when the schema has none (a
    # gold answer is right when every field it sets is, whatever the kinds).
    records = [
        gold.GoldRecord(
            r.username,
            r.value.get(field) if field else "-",
            r.rule_number or "-",
            bool(r.gold_correct),
            r.id,
        )
        for r in rows
    ]
    report = gold.gold_accuracy(records, window=window)

    def plain(acc: gold.GoldAccuracy) -> dict[str, Any]:
        return {
            "n": acc.n,
            "correct": acc.correct,
            "accuracy": acc.accuracy,
            "low": acc.low,
            "high": acc.high,
        }

    return {
        "window": window,
        "members": {
            str(member): {
                "overall": plain(data["overall"]),
                "by_label": {str(k): plain(v) for k, v in data["by_label"].items()},
                "by_rule": {str(k): plain(v) for k, v in data["by_rule"].items()},
            }
            for member, data in report.items()
        },
    }


def scan_drift(db: Database, project_id: int, *, shift_window: int = 200) -> list[dict[str, Any]]:
    """Re-run the drift tests over every member's stored history and raise alerts: a CUSUM per
    member on gold correctness and agreement with the other annotators together, against the
    member's own baseline; a chi-square test of the member's latest labels against the rest
    of the team's in the same period (:mod:`.drift_scan`); and a CUSUM per (true class, given
    class) of the member's gold answers (:mod:`.confusion_scan`). Alerts carry the member's
    effort evidence (:mod:`.effort_evidence`)."""
    with db.uow(read_only=True) as uow:  # the charts rerun without holding the write lock
        project = load_project(uow, project_id)
        field, categories = _primary_or_none(uow, project) or (None, [])
        # No single-choice field: the gold chart alone (a gold answer scores every field it
        # sets); agreement checks and label shift need categories.
        found = drift_scan.find(uow, project.id, field, categories, shift_window=shift_window)
        confused = confusion_findings(uow, project.id)  # per class: one class given for another
        members = {member for _, member, _ in found} | {c["member"] for c in confused}
        effort = effort_of(uow, project.id, members, field)
    with db.uow() as uow:
        raised = drift_scan.raise_found(uow, project_id, found, effort)
        raised += raise_confusion_alerts(uow, project_id, confused, effort)
        uow.commit()
    return raised
