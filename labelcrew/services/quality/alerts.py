"""Alerts: raised inside the unit of work of whatever noticed the problem, listed and resolved
by leads. One open alert per (project, kind, subject); raising it again refreshes its evidence."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from labelcrew.db.models.quality import Alert
from labelcrew.domain.quality import false_alarms
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.uow import Database, UnitOfWork

SEVERITIES = ("info", "warning", "critical")


def alert_dict(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind,
        "severity": a.severity,
        "subject": a.subject,
        "message": a.message,
        "evidence": a.evidence,
        "state": a.state,
        "created_at": a.created_at.isoformat(),
        "updated_at": a.updated_at.isoformat(),
        "resolved_at": a.resolved_at.isoformat() if a.resolved_at else None,
    }


def _resolved_windows(uow: UnitOfWork, project_id: int, kind: str, subject: str) -> list[list[Any]]:
    """The evidence windows of the resolved alerts of this kind and subject."""
    resolved = uow.session.scalars(
        select(Alert.evidence).where(
            Alert.project_id == project_id,
            Alert.kind == kind,
            Alert.subject == subject,
            Alert.state == "resolved",
        )
    )
    return [list((e or {}).get("window") or []) for e in resolved]


def was_resolved(
    uow: UnitOfWork, *, project_id: int, kind: str, subject: str, window: list[Any]
) -> bool:
    """Whether a lead already resolved this very alarm (same kind, subject and evidence
    window): a scan that recomputes from all history must not reopen it; a later alarm, with a
    later window, is raised as usual."""
    return list(window) in _resolved_windows(uow, project_id, kind, subject)


def resolved_overlap(
    uow: UnitOfWork, *, project_id: int, kind: str, subject: str, window: list[int]
) -> bool:
    """Whether a lead resolved an alarm whose window of annotation ids overlaps this one: for
    tests over a sliding window of a member's latest labels (label shift), where the next scan
    sees much the same labels in a window shifted by a few ids. A later alarm on labels all
    given after the resolved window is raised as usual."""
    return any(
        len(old) == 2 and old[1] >= window[0]
        for old in _resolved_windows(uow, project_id, kind, subject)
    )


def raise_alert(
    uow: UnitOfWork,
    *,
    project_id: int,
    kind: str,
    subject: str,
    message: str,
    evidence: dict[str, Any],
    severity: str = "warning",
) -> Alert:
    if severity not in SEVERITIES:
        raise ValidationFailed(f"severity must be one of {SEVERITIES}", field="severity")
    rate = false_alarms.expected(kind)
    if rate is not None:  # beside every threshold, how often it cries wolf (issue 21)
        evidence = {**evidence, "expected_false_alarms": rate}
    alert = uow.session.scalar(
        select(Alert).where(
            Alert.project_id == project_id,
            Alert.kind == kind,
            Alert.subject == subject,
            Alert.state == "open",
        )
    )
    if alert is not None:
        alert.message, alert.evidence, alert.severity = message, evidence, severity
        alert.updated_at = uow.now
        return alert
    alert = Alert(
        project_id=project_id,
        kind=kind,
        severity=severity,
        subject=subject,
        message=message,
        evidence=evidence,
        state="open",
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(alert)
    uow.session.flush()
    emit(
        uow,
        project_id=project_id,
        event_type="alert.raised",
        payload={
            "alert_id": alert.id,
            "kind": kind,
            "subject": subject,
            "message": message,
            "severity": severity,
        },
    )
    return alert


def list_alerts(
    db: Database, project_id: int, *, state: str | None = "open", kind: str | None = None
) -> list[dict[str, Any]]:
    with db.uow(read_only=True) as uow:
        query = select(Alert).where(Alert.project_id == project_id)
        if state is not None:
            query = query.where(Alert.state == state)
        if kind is not None:
            query = query.where(Alert.kind == kind)
        return [alert_dict(a) for a in uow.session.scalars(query.order_by(Alert.id.desc()))]


def resolve_alert(db: Database, actor: Actor, project_id: int, alert_id: int) -> dict[str, Any]:
    with db.uow() as uow:
        alert = uow.session.get(Alert, alert_id)
        if alert is None or alert.project_id != project_id:
            raise NotFound(f"no alert {alert_id}", code="alert_not_found", field="alert_id")
        before = alert.state
        alert.state, alert.resolved_at, alert.resolved_by = "resolved", uow.now, actor.user_id
        audit(
            uow,
            actor_id=actor.user_id,
            action="alert.resolve",
            entity_type="alert",
            entity_id=alert.id,
            project_id=project_id,
            before={"state": before},
            after={"state": "resolved"},
        )
        result = alert_dict(alert)
        uow.commit()
        return result
