"""Confusion drift scan: each member's gold answers on the primary field, as (true, given) pairs.

The primary field is the schema's first single-choice field. For every gold answer the true
class is the item's ``GoldAnswer.value`` there and the given class the annotation's own
``value``; the team's rates come from all members' gold answers (smoothed,
:func:`labelcrew.domain.quality.drift.confusion.team_confusion`), and each member's history is
rerun through :func:`labelcrew.domain.quality.drift.confusion.confusion_alarms`. The latest alarm
of each (member, true class, given class) becomes a finding; :func:`raise_confusion_alerts`
turns findings into ``confusion_drift`` alerts, skipping the ones a lead resolved for the same
window. Runs inside the caller's unit of work; never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Annotation, GoldAnswer, User
from labelcrew.domain.quality.drift.confusion import (
    CONFUSION_DRIFT,
    ConfusionAlarm,
    ConfusionOptions,
    confusion_alarms,
    team_confusion,
)
from labelcrew.services.projects.projects import load_project
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.quality.alerts import raise_alert, was_resolved
from labelcrew.services.quality.gold_scope import knowledge_answers
from labelcrew.services.uow import UnitOfWork


def primary_categories(uow: UnitOfWork, project_id: int) -> tuple[str, list[str]] | None:
    """The primary field's name and categories; None without a schema or a single-choice
    field."""
    project = load_project(uow, project_id)
    if project.schema_version is None:
        return None
    schema = schema_for(uow, project.id, project.schema_version)
    primary = schema.primary_field
    if primary is None:
        return None
    return primary.name, schema.categories(primary.name)


def gold_pairs(uow: UnitOfWork, project_id: int, field: str) -> list[tuple[str, int, Any, Any]]:
    """Every gold answer that judges understanding (not honeypots, not disputed gold:
    `gold_scope`), oldest first: (username, annotation id, true value, given value)."""
    rows = uow.session.execute(
        select(Annotation.id, User.username, GoldAnswer.value, Annotation.value.label("given"))
        .join(User, User.id == Annotation.annotator_id)
        .join(GoldAnswer, GoldAnswer.item_id == Annotation.item_id)
        .where(Annotation.project_id == project_id, knowledge_answers(uow, project_id))
        .order_by(Annotation.id)
    )
    return [
        (r.username, r.id, (r.value or {}).get(field), (r.given or {}).get(field)) for r in rows
    ]


def _finding(alarm: ConfusionAlarm) -> dict[str, Any]:
    return {
        "member": alarm.member,
        "true_class": alarm.true_class,
        "given_class": alarm.given_class,
        "window": [alarm.start_id, alarm.end_id],
        "before": {"n": alarm.before_n, "given": alarm.before_k},
        "after": {"n": alarm.after_n, "given": alarm.after_k},
        "own_rate": alarm.own_rate,
        "team_rate": alarm.team_rate,
        "after_rate": alarm.after_rate,
        "statistic": alarm.statistic,
        "threshold": alarm.threshold,
    }


def confusion_findings(
    uow: UnitOfWork, project_id: int, options: ConfusionOptions | None = None
) -> list[dict[str, Any]]:
    """The latest alarm of each (member, true class, given class), by member then pair; [] for
    a project without a single-choice field."""
    primary = primary_categories(uow, project_id)
    if primary is None:
        return []
    field, categories = primary
    pairs = [p for p in gold_pairs(uow, project_id, field) if p[2] in categories]
    if not pairs:
        return []
    index = {c: i for i, c in enumerate(categories)}
    rates = team_confusion(
        [index[p[2]] for p in pairs], [index.get(p[3], -1) for p in pairs], len(categories)
    )
    found = []
    for member in sorted({p[0] for p in pairs}):
        answers = [(a, t, g if g in index else None) for m, a, t, g in pairs if m == member]
        latest: dict[tuple[str, str], ConfusionAlarm] = {}
        for alarm in confusion_alarms(member, answers, categories, rates, options):
            latest[(alarm.true_class, alarm.given_class)] = alarm
        found += [_finding(latest[key]) for key in sorted(latest)]
    return found


def _message(f: dict[str, Any]) -> str:
    true, given, before, after = f["true_class"], f["given_class"], f["before"], f["after"]
    return (
        f"{f['member']} now labels {true} as {given}: {after['given']} of {after['n']} {true} "
        f"gold items since annotation {f['window'][0]}, was {before['given']} of "
        f"{before['n']}; team {100 * f['team_rate']:.0f} %"
    )


def raise_confusion_alerts(
    uow: UnitOfWork,
    project_id: int,
    findings: list[dict[str, Any]],
    effort: Mapping[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Raise (or refresh) a ``confusion_drift`` alert per finding, subject
    ``member:{name}:{true}->{given}``; a finding whose window a lead already resolved is
    skipped. `effort` (member -> `effort_evidence.effort_of` signals) joins the evidence.
    Returns the alerts raised: member, kind, subject, message and evidence."""
    raised = []
    for finding in findings:
        signals = (effort or {}).get(finding["member"])
        finding = {**finding, "effort": signals} if signals else finding
        subject = f"member:{finding['member']}:{finding['true_class']}->{finding['given_class']}"
        window = finding["window"]
        if was_resolved(
            uow, project_id=project_id, kind=CONFUSION_DRIFT, subject=subject, window=window
        ):
            continue
        message = _message(finding)
        raise_alert(
            uow,
            project_id=project_id,
            kind=CONFUSION_DRIFT,
            subject=subject,
            message=message,
            evidence=finding,
        )
        raised.append(
            {
                "member": finding["member"],
                "kind": CONFUSION_DRIFT,
                "subject": subject,
                "message": message,
                "evidence": finding,
            }
        )
    return raised
