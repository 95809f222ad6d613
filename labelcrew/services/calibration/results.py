"""Calibration sessions, second half: the results, closing (alpha over time), decisions per
item and turning them into rules of the guideline draft."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from labelcrew.db.models.calibration import (
    CalibrationDecision,
    CalibrationInvite,
    CalibrationItem,
    CalibrationSession,
)
from labelcrew.db.models.core import GuidelineRule, GuidelineVersion, User
from labelcrew.db.models.quality import QualitySnapshot
from labelcrew.errors import Conflict, NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.calibration.sessions import (
    answers_of,
    item_ids_of,
    load_session,
    manages,
    reveals,
    session_results,
)
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.teamops import privacy
from labelcrew.services.uow import Database, UnitOfWork


def _invitees(uow: UnitOfWork, s: CalibrationSession) -> list[dict[str, Any]]:
    answered: dict[int, int] = {}
    for a in answers_of(uow, s):
        answered[a.user_id] = answered.get(a.user_id, 0) + 1
    rows = uow.session.execute(
        select(CalibrationInvite, User.username)
        .join(User, User.id == CalibrationInvite.user_id)
        .where(CalibrationInvite.session_id == s.id)
        .order_by(User.username)
    ).all()
    return [
        {
            "username": name,
            "answered": answered.get(invite.user_id, 0),
            "completed_at": invite.completed_at.isoformat() if invite.completed_at else None,
        }
        for invite, name in rows
    ]


def _decisions(uow: UnitOfWork, session_id: int) -> list[dict[str, Any]]:
    rows = uow.session.scalars(
        select(CalibrationDecision)
        .where(CalibrationDecision.session_id == session_id)
        .order_by(CalibrationDecision.item_id)
    )
    return [
        {
            "item_id": d.item_id,
            "decision": d.decision,
            "rule_number": d.rule_number,
            "drafted_rule": d.drafted_rule,
        }
        for d in rows
    ]


def show_session(db: Database, actor: Actor, project_id: int, session_id: int) -> dict[str, Any]:
    """The session, who took part how far, and (once the caller may see them) the agreement,
    the split per item and the decisions."""
    with db.uow(read_only=True) as uow:
        s = load_session(uow, project_id, session_id)
        reveal = reveals(uow, actor, s)
        out: dict[str, Any] = {
            "id": s.id,
            "title": s.title,
            "state": s.state,
            "pick": s.pick,
            "guideline_version": s.guideline_version,
            "created_at": s.created_at.isoformat(),
            "closed_at": s.closed_at.isoformat() if s.closed_at else None,
            "items": len(item_ids_of(uow, s.id)),
            "invitees": _invitees(uow, s),
            "revealed": reveal,
        }
        if reveal:
            out["results"] = session_results(uow, s)
            out["decisions"] = _decisions(uow, s.id)
        return out


def list_sessions(db: Database, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    """Sessions with their alpha and date, oldest first (the agreement trend); members who do
    not manage calibration see the sessions they are invited to."""
    with db.uow(read_only=True) as uow:
        query = select(CalibrationSession).where(CalibrationSession.project_id == project_id)
        if not manages(uow, actor, project_id):
            query = query.join(
                CalibrationInvite, CalibrationInvite.session_id == CalibrationSession.id
            ).where(CalibrationInvite.user_id == actor.user_id)
        out = []
        for s in uow.session.scalars(
            query.order_by(CalibrationSession.created_at, CalibrationSession.id)
        ):
            alpha = s.alpha if s.state == "closed" else session_results(uow, s)["alpha"]
            out.append(
                {
                    "id": s.id,
                    "title": s.title,
                    "state": s.state,
                    "created_at": s.created_at.isoformat(),
                    "closed_at": s.closed_at.isoformat() if s.closed_at else None,
                    "alpha": alpha,
                }
            )
        return out


def close_session(db: Database, actor: Actor, project_id: int, session_id: int) -> dict[str, Any]:
    """Close: answers become final, everyone invited sees the results; alpha is recorded."""
    with db.uow() as uow:
        s = load_session(uow, project_id, session_id)
        if s.state == "closed":
            raise Conflict("the session is closed already", code="session_closed")
        found = session_results(uow, s)
        s.state, s.closed_at, s.alpha = "closed", uow.now, found["alpha"]
        counts = (found["agreement"] or {}).get("counts", {})
        uow.session.add(
            QualitySnapshot(
                project_id=project_id,
                metric="calibration_alpha",
                subject=f"session:{s.id}",
                value=found["alpha"],
                n=int(counts.get("ratings", 0)),
                at=uow.now,
                details={"session_id": s.id, "items": len(found["items"])},
            )
        )
        audit(
            uow,
            actor_id=actor.user_id,
            action="calibration.close",
            entity_type="calibration_session",
            entity_id=s.id,
            project_id=project_id,
            before={"state": "open"},
            after={"state": "closed", "alpha": found["alpha"]},
        )
        emit(
            uow,
            project_id=project_id,
            event_type="calibration.closed",
            payload={"session_id": s.id, "alpha": found["alpha"]},
        )
        uow.commit()
        return {"id": s.id, "state": s.state, "alpha": s.alpha, "results": found}


def decide(
    db: Database,
    actor: Actor,
    project_id: int,
    session_id: int,
    *,
    item_id: int,
    decision: str,
    rule_number: str | None = None,
) -> dict[str, Any]:
    """Record (or replace) the decision the group reached on one item."""
    text = decision.strip()
    if not text:
        raise ValidationFailed("a decision needs its text", field="decision")
    number = (rule_number or "").strip() or None
    if number is not None and not guidelines.RULE_NUMBER.match(number):
        raise ValidationFailed(
            f"rule number {number!r} must look like '4' or '4.2'", field="rule_number"
        )
    with db.uow() as uow:
        s = load_session(uow, project_id, session_id)
        if uow.session.get(CalibrationItem, (s.id, item_id)) is None:
            raise NotFound(
                f"item {item_id} is not in this session", code="item_not_found", field="item_id"
            )
        row = uow.session.scalar(
            select(CalibrationDecision).where(
                CalibrationDecision.session_id == s.id, CalibrationDecision.item_id == item_id
            )
        )
        before = None if row is None else {"decision": row.decision, "rule": row.rule_number}
        if row is None:
            row = CalibrationDecision(session_id=s.id, item_id=item_id, created_at=uow.now)
            uow.session.add(row)
        row.decision, row.rule_number, row.decided_by = text, number, actor.user_id
        row.drafted_at = row.drafted_rule = None
        audit(
            uow,
            actor_id=actor.user_id,
            action="calibration.decide",
            entity_type="calibration_session",
            entity_id=s.id,
            project_id=project_id,
            before=before,
            after={"item_id": item_id, "decision": text, "rule": number},
        )
        uow.commit()
        return {"item_id": item_id, "decision": text, "rule_number": number}


def _base_rules(uow: UnitOfWork, project_id: int) -> tuple[str, str, list[dict[str, Any]]]:
    """Title, body and rules to extend: the open draft, else the current published version."""
    project = load_project(uow, project_id)
    version = uow.session.scalar(
        select(GuidelineVersion).where(
            GuidelineVersion.project_id == project_id, GuidelineVersion.status == "draft"
        )
    )
    if version is None and project.guideline_version is not None:
        version = uow.session.scalar(
            select(GuidelineVersion).where(
                GuidelineVersion.project_id == project_id,
                GuidelineVersion.version == project.guideline_version,
            )
        )
    if version is None:
        return "", "", []
    rules = uow.session.scalars(
        select(GuidelineRule).where(GuidelineRule.guideline_version_id == version.id)
    )
    return (
        version.title,
        version.body,
        [
            {"number": r.number, "title": r.title, "text": r.text, "examples": list(r.examples)}
            for r in rules
        ],
    )


def decisions_to_draft(
    db: Database, actor: Actor, project_id: int, session_id: int
) -> dict[str, Any]:
    """Append the session's undrafted decisions to the guideline draft: a decision naming an
    existing rule clarifies it (text appended, the item as an example); one naming a new
    number, or none, becomes a new rule (numbered after the highest top-level rule).

    Who may is the permission table's `Action.GUIDELINE_EDIT` (the draft is the guideline's),
    which the route checks; no second role check here to disagree with it."""
    with db.uow(read_only=True) as uow:
        s = load_session(uow, project_id, session_id)
        pending = list(
            uow.session.scalars(
                select(CalibrationDecision)
                .where(
                    CalibrationDecision.session_id == s.id,
                    CalibrationDecision.drafted_at.is_(None),
                )
                .order_by(CalibrationDecision.item_id)
            )
        )
        if not pending:
            raise Conflict("no decisions left to draft", code="nothing_to_draft")
        # The examples land in the guideline, which every member reads: mask for everyone.
        payloads = privacy.payloads_of(
            uow, load_project(uow, project_id), [d.item_id for d in pending], privacy.EVERYONE
        )
        title, body, rules = _base_rules(uow, project_id)
    by_number = {r["number"]: r for r in rules}
    top = max((int(n.split(".")[0]) for n in by_number), default=0) + 1
    sub = 0
    drafted: dict[int, str] = {}
    for d in pending:
        tag = f"(calibration #{s.id}, item {d.item_id})"
        example = {"item_id": d.item_id, "payload": payloads.get(d.item_id), "note": d.decision}
        number = d.rule_number
        if number is None:
            sub += 1
            number = f"{top}.{sub}"
        rule = by_number.get(number)
        if rule is None:
            rule = {"number": number, "title": "", "text": f"{d.decision} {tag}", "examples": []}
            by_number[number] = rule
            rules.append(rule)
        elif tag not in rule["text"]:
            rule["text"] = f"{rule['text']}\n\nClarified: {d.decision} {tag}"
        rule["examples"] = [*rule["examples"], example]
        drafted[d.id] = number
    draft = guidelines.save_draft(db, actor, project_id, title=title, body=body, rules=rules)
    with db.uow() as uow:
        for decision_id, number in drafted.items():
            row = uow.session.get(CalibrationDecision, decision_id)
            if row is not None:
                row.drafted_at, row.drafted_rule = uow.now, number
        audit(
            uow,
            actor_id=actor.user_id,
            action="calibration.to_draft",
            entity_type="calibration_session",
            entity_id=session_id,
            project_id=project_id,
            after={"draft_version": draft["version"], "rules": sorted(set(drafted.values()))},
        )
        uow.commit()
    return {"draft": draft, "drafted_rules": sorted(set(drafted.values()))}
