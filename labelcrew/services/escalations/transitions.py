"""Escalation transitions: a reviewer claims an unassigned level-1 ticket (within their
open-ticket limit), answers it or escalates it to level 2 (a new SLA due time); a guideline
owner resolves a level-2 ticket with a ruling. Each transition checks who may make it and from
which state, stamps its time, and is audited and emitted as an event. Opening, listing and the
SLA check are `escalations`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from labelcrew.db.models.feedback import Escalation
from labelcrew.errors import Conflict, Forbidden, NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.escalations.tickets import checked_text, escalation_dict, open_counts
from labelcrew.services.guidelines.versions import RULE_NUMBER
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.review.feedback_settings import max_open_tickets, member_of, sla_hours
from labelcrew.services.uow import Database, UnitOfWork


def _load(uow: UnitOfWork, project_id: int, escalation_id: int) -> Escalation:
    ticket = uow.session.get(Escalation, escalation_id)
    if ticket is None or ticket.project_id != project_id:
        raise NotFound(
            f"no escalation {escalation_id}", code="escalation_not_found", field="escalation_id"
        )
    return ticket


def _level_one_handler(uow: UnitOfWork, ticket: Escalation, actor: Actor) -> None:
    """Leads, QA and admins handle any level-1 ticket; a reviewer the ones that are theirs or
    nobody's."""
    member = member_of(uow, ticket.project_id, actor.user_id)
    roles = set(member.roles) if member else set()
    if actor.is_admin or roles & {"qa", "lead"}:
        return
    if "reviewer" not in roles:
        raise Forbidden("only reviewers, QA and leads handle tickets", code="not_a_reviewer")
    if ticket.assignee_id not in (None, actor.user_id):
        raise Forbidden(
            f"escalation {ticket.id} is assigned to another reviewer", code="not_assignee"
        )


def _expect(ticket: Escalation, state: str) -> None:
    if ticket.state != state:
        raise Conflict(
            f"escalation {ticket.id} is {ticket.state}, not {state}",
            code="escalation_state",
            details={"state": ticket.state},
        )


def _transition(
    uow: UnitOfWork, actor: Actor, ticket: Escalation, before: dict[str, Any], event: str
) -> dict[str, Any]:
    after = escalation_dict(ticket, uow.now)
    audit(
        uow,
        actor_id=actor.user_id,
        action=event,
        entity_type="escalation",
        entity_id=ticket.id,
        project_id=ticket.project_id,
        before={"state": before["state"], "level": before["level"]},
        after=after,
    )
    emit(
        uow,
        project_id=ticket.project_id,
        event_type=event,
        payload={"escalation_id": ticket.id, "item_id": ticket.item_id, "state": ticket.state},
    )
    uow.commit()
    return after


def claim(db: Database, actor: Actor, project_id: int, escalation_id: int) -> dict[str, Any]:
    """A reviewer takes an unassigned open ticket, within their open-ticket limit."""
    with db.uow() as uow:
        project = load_project(uow, project_id)
        ticket = _load(uow, project.id, escalation_id)
        _level_one_handler(uow, ticket, actor)
        _expect(ticket, "open")
        if ticket.assignee_id == actor.user_id:
            return escalation_dict(ticket, uow.now)
        if ticket.assignee_id is not None:
            raise Conflict(f"escalation {ticket.id} is assigned already", code="already_assigned")
        limit = max_open_tickets(project)
        if open_counts(uow, project.id).get(actor.user_id, 0) >= limit:
            raise Conflict(
                f"you hold {limit} open tickets already; answer or escalate one first",
                code="ticket_wip_reached",
            )
        before = escalation_dict(ticket, uow.now)
        ticket.assignee_id = actor.user_id
        return _transition(uow, actor, ticket, before, "escalation.claimed")


def answer(
    db: Database, actor: Actor, project_id: int, escalation_id: int, *, answer: str
) -> dict[str, Any]:
    text = checked_text(answer, "answer")
    with db.uow() as uow:
        ticket = _load(uow, project_id, escalation_id)
        _level_one_handler(uow, ticket, actor)
        _expect(ticket, "open")
        before = escalation_dict(ticket, uow.now)
        ticket.state, ticket.answer = "answered", text
        ticket.answered_by, ticket.answered_at = actor.user_id, uow.now
        ticket.assignee_id = ticket.assignee_id or actor.user_id
        return _transition(uow, actor, ticket, before, "escalation.answered")


def escalate(
    db: Database, actor: Actor, project_id: int, escalation_id: int, *, note: str
) -> dict[str, Any]:
    text = checked_text(note, "note")
    with db.uow() as uow:
        project = load_project(uow, project_id)
        ticket = _load(uow, project.id, escalation_id)
        _level_one_handler(uow, ticket, actor)
        _expect(ticket, "open")
        before = escalation_dict(ticket, uow.now)
        ticket.state, ticket.level, ticket.escalation_note = "escalated", 2, text
        ticket.escalated_by, ticket.escalated_at = actor.user_id, uow.now
        ticket.assignee_id = ticket.assignee_id or actor.user_id
        ticket.due_at = uow.now + timedelta(hours=sla_hours(project)["2"])
        return _transition(uow, actor, ticket, before, "escalation.escalated")


def resolve(
    db: Database,
    actor: Actor,
    project_id: int,
    escalation_id: int,
    *,
    ruling: str,
    rule_number: str | None = None,
) -> dict[str, Any]:
    """A guideline owner settles a level-2 ticket; the ruling may name the rule it creates or
    clarifies (it need not exist yet: the next guideline version may add it)."""
    text = checked_text(ruling, "ruling")
    if rule_number is not None and not RULE_NUMBER.match(rule_number):
        raise ValidationFailed(
            f"rule number {rule_number!r} must look like '4' or '4.2'", field="rule_number"
        )
    with db.uow() as uow:
        ticket = _load(uow, project_id, escalation_id)
        member = member_of(uow, project_id, actor.user_id)
        if not actor.is_admin and (member is None or "guideline_owner" not in member.roles):
            raise Forbidden("only guideline owners resolve level-2 tickets", code="forbidden")
        _expect(ticket, "escalated")
        before = escalation_dict(ticket, uow.now)
        ticket.state, ticket.ruling, ticket.ruling_rule = "resolved", text, rule_number
        ticket.resolved_by, ticket.resolved_at = actor.user_id, uow.now
        return _transition(uow, actor, ticket, before, "escalation.resolved")
