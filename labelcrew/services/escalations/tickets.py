"""Escalation tickets: two levels, an SLA per level, WIP per reviewer.

Level 1: an annotator asks about an item they hold or held (optionally naming the rule it
concerns). The ticket goes to the item's batch owner, else to the reviewer with the fewest open
level-1 tickets; a reviewer already holding `max_open_tickets_per_reviewer` open tickets takes
no more (the ticket then waits unassigned until someone claims it). A reviewer answers it
(answered) or escalates it to level 2 (escalated); a guideline owner resolves it with a ruling
(resolved). Every transition has its timestamp; `due_at` is the SLA deadline of the current
level. `check_overdue` raises one `escalation_overdue` alert per ticket and level.

This module opens tickets (choosing the assignee), lists them and checks their SLA; the
transitions (claim, answer, escalate, resolve) are `escalation_transitions`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from labelcrew.db.models.core import Batch, Item, Member, Project
from labelcrew.db.models.feedback import Escalation
from labelcrew.errors import Forbidden, NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.quality.alerts import raise_alert
from labelcrew.services.review.feedback_settings import (
    held,
    is_staff,
    load_item,
    max_open_tickets,
    member_of,
    sla_hours,
)
from labelcrew.services.review.reviews import rules_of
from labelcrew.services.uow import Database, UnitOfWork

STATES = ("open", "answered", "escalated", "resolved")
WAITING = ("open", "escalated")
HANDLERS = frozenset({"reviewer", "qa", "lead"})
MAX_TEXT = 5000


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def escalation_dict(e: Escalation, now: Any) -> dict[str, Any]:
    return {
        "id": e.id,
        "item_id": e.item_id,
        "level": e.level,
        "state": e.state,
        "rule_number": e.rule_number,
        "question": e.question,
        "opened_by": e.opened_by,
        "assignee_id": e.assignee_id,
        "created_at": _iso(e.created_at),
        "due_at": _iso(e.due_at),
        "overdue": e.state in WAITING and e.due_at < now,
        "answer": e.answer,
        "answered_by": e.answered_by,
        "answered_at": _iso(e.answered_at),
        "escalation_note": e.escalation_note,
        "escalated_by": e.escalated_by,
        "escalated_at": _iso(e.escalated_at),
        "ruling": e.ruling,
        "ruling_rule": e.ruling_rule,
        "resolved_by": e.resolved_by,
        "resolved_at": _iso(e.resolved_at),
    }


def checked_text(value: str, field: str) -> str:
    text = value.strip()
    if not 1 <= len(text) <= MAX_TEXT:
        raise ValidationFailed(f"{field} needs 1 to {MAX_TEXT} characters", field=field)
    return text


def open_counts(uow: UnitOfWork, project_id: int) -> dict[int, int]:
    """Open level-1 tickets per assigned reviewer."""
    rows = uow.session.execute(
        select(Escalation.assignee_id, func.count())
        .where(
            Escalation.project_id == project_id,
            Escalation.level == 1,
            Escalation.state == "open",
            Escalation.assignee_id.is_not(None),
        )
        .group_by(Escalation.assignee_id)
    ).all()
    return {int(uid): int(n) for uid, n in rows if uid is not None}


def _choose_assignee(uow: UnitOfWork, project: Project, item: Item, opener: int) -> int | None:
    limit = max_open_tickets(project)
    counts = open_counts(uow, project.id)
    members = uow.session.execute(
        select(Member.user_id, Member.roles).where(Member.project_id == project.id)
    ).all()
    handlers = {uid for uid, roles in members if HANDLERS & set(roles) and uid != opener}
    if item.batch_id is not None:
        owner = uow.session.scalar(select(Batch.owner_id).where(Batch.id == item.batch_id))
        if owner is not None and owner in handlers and counts.get(owner, 0) < limit:
            return owner
    reviewers = [uid for uid, roles in members if "reviewer" in roles and uid in handlers]
    pool = reviewers or sorted(handlers)
    free = [uid for uid in pool if counts.get(uid, 0) < limit]
    return min(free, key=lambda uid: (counts.get(uid, 0), uid)) if free else None


def open_escalation(
    db: Database,
    actor: Actor,
    project_id: int,
    item_id: int,
    *,
    question: str,
    rule_number: str | None = None,
) -> dict[str, Any]:
    text = checked_text(question, "question")
    with db.uow() as uow:
        project = load_project(uow, project_id)
        member = member_of(uow, project.id, actor.user_id)
        if member is None or "annotator" not in member.roles:
            raise Forbidden("only annotators open level-1 tickets", code="not_an_annotator")
        item = load_item(uow, project.id, item_id)
        if not held(uow, item.id, actor.user_id):
            raise NotFound(
                f"you hold no assignment on item {item_id}", code="item_not_found", field="item_id"
            )
        if rule_number is not None and rule_number not in rules_of(
            uow, project.id, project.guideline_version
        ):
            raise ValidationFailed(
                f"rule {rule_number!r} is not in the current guideline "
                f"(version {project.guideline_version})",
                code="unknown_rule",
                field="rule_number",
            )
        ticket = Escalation(
            project_id=project.id,
            item_id=item.id,
            rule_number=rule_number,
            question=text,
            level=1,
            state="open",
            opened_by=actor.user_id,
            assignee_id=_choose_assignee(uow, project, item, actor.user_id),
            created_at=uow.now,
            due_at=uow.now + timedelta(hours=sla_hours(project)["1"]),
        )
        uow.session.add(ticket)
        uow.session.flush()
        result = escalation_dict(ticket, uow.now)
        audit(
            uow,
            actor_id=actor.user_id,
            action="escalation.open",
            entity_type="escalation",
            entity_id=ticket.id,
            project_id=project.id,
            after=result,
        )
        emit(
            uow,
            project_id=project.id,
            event_type="escalation.opened",
            payload={
                "escalation_id": ticket.id,
                "item_id": item.id,
                "level": 1,
                "rule_number": rule_number,
                "assignee_id": ticket.assignee_id,
                "due_at": result["due_at"],
            },
        )
        uow.commit()
        return result


def list_escalations(
    db: Database,
    actor: Actor,
    project_id: int,
    *,
    state: str | None = None,
    overdue: bool = False,
    level: int | None = None,
    assignee_id: int | None = None,
) -> list[dict[str, Any]]:
    """Tickets, oldest due first. Annotators see only the tickets they opened."""
    if state is not None and state not in STATES:
        raise ValidationFailed(f"state must be one of {', '.join(STATES)}", field="state")
    if level is not None and level not in (1, 2):
        raise ValidationFailed("level must be 1 or 2", field="level")
    with db.uow(read_only=True) as uow:
        query = select(Escalation).where(Escalation.project_id == project_id)
        if not is_staff(member_of(uow, project_id, actor.user_id), actor):
            query = query.where(Escalation.opened_by == actor.user_id)
        if state is not None:
            query = query.where(Escalation.state == state)
        if overdue:
            query = query.where(Escalation.state.in_(WAITING), Escalation.due_at < uow.now)
        if level is not None:
            query = query.where(Escalation.level == level)
        if assignee_id is not None:
            query = query.where(Escalation.assignee_id == assignee_id)
        rows = uow.session.scalars(query.order_by(Escalation.due_at, Escalation.id))
        return [escalation_dict(e, uow.now) for e in rows]


def check_overdue(db: Database, project_id: int) -> dict[str, Any]:
    """Raise an `escalation_overdue` alert and emit `escalation.overdue` for every waiting
    ticket past its due time, once per ticket and level (calling it again changes nothing).

    Returns `{"overdue": [ticket dicts], "alerted": [ids of tickets alerted by this call]}`.
    """
    with db.uow() as uow:
        project = load_project(uow, project_id)
        late = uow.session.scalars(
            select(Escalation)
            .where(
                Escalation.project_id == project.id,
                Escalation.state.in_(WAITING),
                Escalation.due_at < uow.now,
            )
            .order_by(Escalation.due_at, Escalation.id)
        ).all()
        alerted = []
        for ticket in late:
            if ticket.overdue_level == ticket.level:
                continue
            hours = round((uow.now - ticket.due_at).total_seconds() / 3600, 2)
            evidence = {
                "escalation_id": ticket.id,
                "item_id": ticket.item_id,
                "level": ticket.level,
                "assignee_id": ticket.assignee_id,
                "due_at": ticket.due_at.isoformat(),
                "hours_late": hours,
            }
            raise_alert(
                uow,
                project_id=project.id,
                kind="escalation_overdue",
                subject=f"escalation:{ticket.id}",
                message=f"level-{ticket.level} escalation {ticket.id} on item {ticket.item_id} "
                f"is {hours} h past its SLA",
                evidence=evidence,
            )
            emit(uow, project_id=project.id, event_type="escalation.overdue", payload=evidence)
            audit(
                uow,
                actor_id=None,
                action="escalation.overdue",
                entity_type="escalation",
                entity_id=ticket.id,
                project_id=project.id,
                before={"overdue_level": ticket.overdue_level},
                after={"overdue_level": ticket.level},
            )
            ticket.overdue_level = ticket.level
            alerted.append(ticket.id)
        result = {"overdue": [escalation_dict(e, uow.now) for e in late], "alerted": alerted}
        uow.commit()
        return result
