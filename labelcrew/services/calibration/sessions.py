"""Calibration sessions: 20 to 50 hard items that invited members label blind, then compare.

An invitee sees payloads only (never others' answers) until they answered every item or the
session is closed; leads and QA who are not taking part see the results all along. Answers are
kept in their own table, so they never count towards an item's overlap. Closing a session
stores its Krippendorff's alpha (and a `calibration_alpha` quality snapshot, for the trend);
decisions per item can be appended to the guideline draft as rules.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from labelcrew.db.models.calibration import (
    CalibrationAnswer,
    CalibrationInvite,
    CalibrationItem,
    CalibrationSession,
)
from labelcrew.db.models.core import Item, Member, User
from labelcrew.domain.permissions import Action, allowed
from labelcrew.errors import Conflict, Forbidden, NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.calibration.picks import PICKS, pick_hard_items, results
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.quality.measures import primary_field_of
from labelcrew.services.teamops import privacy
from labelcrew.services.uow import Database, UnitOfWork

MIN_ITEMS, MAX_ITEMS = 20, 50


def load_session(uow: UnitOfWork, project_id: int, session_id: int) -> CalibrationSession:
    s = uow.session.get(CalibrationSession, session_id)
    if s is None or s.project_id != project_id:
        raise NotFound(
            f"no calibration session {session_id}", code="session_not_found", field="session_id"
        )
    return s


def manages(uow: UnitOfWork, actor: Actor, project_id: int) -> bool:
    roles = uow.session.scalar(
        select(Member.roles).where(Member.project_id == project_id, Member.user_id == actor.user_id)
    )
    return allowed(Action.CALIBRATION_MANAGE, set(roles or ()), is_admin=actor.is_admin)


def _invite(uow: UnitOfWork, s: CalibrationSession, usernames: list[str]) -> list[str]:
    added = []
    for i, name in enumerate(usernames):
        user_id = uow.session.scalar(
            select(User.id)
            .join(Member, Member.user_id == User.id)
            .where(User.username == name, Member.project_id == s.project_id)
        )
        if user_id is None:
            raise ValidationFailed(
                f"{name!r} is not a member of this project", field=f"invite[{i}]"
            )
        if uow.session.get(CalibrationInvite, (s.id, user_id)) is None:
            uow.session.add(CalibrationInvite(session_id=s.id, user_id=user_id, invited_at=uow.now))
            added.append(name)
    return added


def item_ids_of(uow: UnitOfWork, session_id: int) -> list[int]:
    return list(
        uow.session.scalars(
            select(CalibrationItem.item_id)
            .where(CalibrationItem.session_id == session_id)
            .order_by(CalibrationItem.position)
        )
    )


def create_session(
    db: Database,
    actor: Actor,
    project_id: int | str,
    *,
    title: str = "",
    item_ids: list[int] | None = None,
    size: int = 30,
    pick: str = "auto",
    invite: list[str] | None = None,
) -> dict[str, Any]:
    """A session over the given items, or over the `size` hardest ones by `pick`
    (auto, disagreed, escalated, corrected)."""
    if pick not in PICKS:
        raise ValidationFailed(f"pick must be one of {PICKS}, not {pick!r}", field="pick")
    if not MIN_ITEMS <= (len(set(item_ids)) if item_ids else size) <= MAX_ITEMS:
        raise ValidationFailed(
            f"a calibration session has {MIN_ITEMS} to {MAX_ITEMS} items",
            field="items" if item_ids else "size",
        )
    with db.uow() as uow:
        project = load_project(uow, project_id)
        field, _ = primary_field_of(uow, project)
        if item_ids:
            chosen = [(i, "manual") for i in dict.fromkeys(item_ids)]
            found = dict(
                uow.session.execute(
                    select(Item.id, Item.state).where(
                        Item.project_id == project.id,
                        Item.id.in_(item_ids),
                        Item.is_gold.is_(False),
                    )
                ).all()
            )
            missing = [i for i, _ in chosen if i not in found]
            if missing:
                raise ValidationFailed(
                    f"item {missing[0]} is not a (non-gold) item of this project",
                    field="items",
                    code="unknown_item",
                )
            # As the automatic picks: an open item in a session would be known as not gold to
            # every invitee who may still be served it (issue 14).
            still_open = [i for i, _ in chosen if found[i] != "done"]
            if still_open:
                raise ValidationFailed(
                    f"item {still_open[0]} still needs labels; a calibration session takes "
                    "finished items only (an open one would be known as not gold)",
                    field="items",
                    code="item_not_finished",
                )
        else:
            chosen = pick_hard_items(uow, project.id, field, size=size, pick=pick)
            if len(chosen) < MIN_ITEMS:
                raise Conflict(
                    f"only {len(chosen)} hard items found by {pick!r}; a session needs "
                    f"{MIN_ITEMS} (pick them by hand with items)",
                    code="not_enough_hard_items",
                    details={"found": len(chosen)},
                )
        assert project.schema_version is not None
        s = CalibrationSession(
            project_id=project.id,
            title=title.strip()[:200],
            state="open",
            pick="manual" if item_ids else pick,
            schema_version=project.schema_version,
            guideline_version=project.guideline_version,
            created_by=actor.user_id,
            created_at=uow.now,
        )
        uow.session.add(s)
        uow.session.flush()
        for position, (item_id, reason) in enumerate(chosen):
            uow.session.add(
                CalibrationItem(session_id=s.id, item_id=item_id, position=position, reason=reason)
            )
        invited = _invite(uow, s, invite or [])
        audit(
            uow,
            actor_id=actor.user_id,
            action="calibration.create",
            entity_type="calibration_session",
            entity_id=s.id,
            project_id=project.id,
            after={"items": [i for i, _ in chosen], "pick": s.pick, "invited": invited},
        )
        emit(
            uow,
            project_id=project.id,
            event_type="calibration.created",
            payload={"session_id": s.id, "items": len(chosen), "invited": invited},
        )
        uow.commit()
        return {
            "id": s.id,
            "title": s.title,
            "pick": s.pick,
            "items": [{"item_id": i, "reason": r} for i, r in chosen],
            "invited": invited,
        }


def invite_members(
    db: Database, actor: Actor, project_id: int, session_id: int, usernames: list[str]
) -> dict[str, Any]:
    with db.uow() as uow:
        s = load_session(uow, project_id, session_id)
        if s.state != "open":
            raise Conflict("the session is closed", code="session_closed")
        added = _invite(uow, s, usernames)
        audit(
            uow,
            actor_id=actor.user_id,
            action="calibration.invite",
            entity_type="calibration_session",
            entity_id=s.id,
            project_id=project_id,
            after={"invited": added},
        )
        uow.commit()
        return {"id": s.id, "invited": added}


def reveals(uow: UnitOfWork, actor: Actor, s: CalibrationSession) -> bool:
    """May this caller see others' answers? Closed sessions: yes. Invitees: once they finished.
    Managers who do not take part: yes. Anyone else: not at all."""
    invite = uow.session.get(CalibrationInvite, (s.id, actor.user_id))
    if s.state == "closed":
        return invite is not None or manages(uow, actor, s.project_id)
    if invite is not None:
        return invite.completed_at is not None
    if manages(uow, actor, s.project_id):
        return True
    raise Forbidden("you are not invited to this session", code="not_invited")


def answers_of(uow: UnitOfWork, s: CalibrationSession) -> list[CalibrationAnswer]:
    return list(
        uow.session.scalars(
            select(CalibrationAnswer)
            .where(CalibrationAnswer.session_id == s.id)
            .order_by(CalibrationAnswer.id)
        )
    )


def session_results(uow: UnitOfWork, s: CalibrationSession) -> dict[str, Any]:
    schema = schema_for(uow, s.project_id, s.schema_version)
    primary = schema.primary_field
    if primary is None:  # create_session refuses such schemas; kept for type narrowing
        raise Conflict("the session's schema has no single-choice field", code="no_primary_field")
    field = primary.name
    answers = [
        (a.item_id, a.user_id, schema.agreement_value(field, a.value.get(field)))
        for a in answers_of(uow, s)
    ]
    out = results(answers, item_ids_of(uow, s.id))
    out["field"] = field
    return out


def session_items(db: Database, actor: Actor, project_id: int, session_id: int) -> dict[str, Any]:
    """The items to label: payload and the caller's own answer; the split only once revealed."""
    with db.uow(read_only=True) as uow:
        s = load_session(uow, project_id, session_id)
        reveal = reveals(uow, actor, s)
        mine = {a.item_id: a.value for a in answers_of(uow, s) if a.user_id == actor.user_id}
        # Invitees may be annotators: sensitive fields as the caller's roles may see them.
        project = load_project(uow, project_id)
        payloads = privacy.payloads_of(
            uow, project, item_ids_of(uow, s.id), privacy.viewer_of(uow, project.id, actor)
        )
        split = (
            {r["item_id"]: r["split"] for r in session_results(uow, s)["items"]} if reveal else {}
        )
        items = []
        for item_id in item_ids_of(uow, s.id):
            row: dict[str, Any] = {
                "item_id": item_id,
                "payload": payloads[item_id],
                "my_answer": mine.get(item_id),
            }
            if reveal:
                row["split"] = split.get(item_id, {})
            items.append(row)
        return {
            "session_id": s.id,
            "state": s.state,
            "revealed": reveal,
            "schema_version": s.schema_version,
            "answered": len(mine),
            "items": items,
        }


def answer(
    db: Database,
    actor: Actor,
    project_id: int,
    session_id: int,
    item_id: int,
    value: Any,
) -> dict[str, Any]:
    """Record (or, before finishing, change) the caller's blind answer on one item."""
    if not isinstance(value, dict):
        raise ValidationFailed("value must be an object keyed by schema field", field="value")
    with db.uow() as uow:
        s = load_session(uow, project_id, session_id)
        if s.state != "open":
            raise Conflict("the session is closed", code="session_closed")
        invite = uow.session.get(CalibrationInvite, (s.id, actor.user_id))
        if invite is None:
            raise Forbidden("you are not invited to this session", code="not_invited")
        if invite.completed_at is not None:
            raise Conflict(
                "you answered every item and saw the split; answers are final",
                code="answers_final",
            )
        if uow.session.get(CalibrationItem, (s.id, item_id)) is None:
            raise NotFound(
                f"item {item_id} is not in this session", code="item_not_found", field="item_id"
            )
        payload = uow.session.scalar(select(Item.payload).where(Item.id == item_id))
        clean = schema_for(uow, project_id, s.schema_version).validate(value, payload)
        row = uow.session.scalar(
            select(CalibrationAnswer).where(
                CalibrationAnswer.session_id == s.id,
                CalibrationAnswer.item_id == item_id,
                CalibrationAnswer.user_id == actor.user_id,
            )
        )
        if row is None:
            row = CalibrationAnswer(
                session_id=s.id,
                item_id=item_id,
                user_id=actor.user_id,
                value=clean,
                created_at=uow.now,
                updated_at=uow.now,
            )
            uow.session.add(row)
        else:
            row.value, row.updated_at = clean, uow.now
        uow.session.flush()
        answered = uow.session.scalar(
            select(func.count())
            .select_from(CalibrationAnswer)
            .where(CalibrationAnswer.session_id == s.id, CalibrationAnswer.user_id == actor.user_id)
        )
        total = len(item_ids_of(uow, s.id))
        if answered == total:
            invite.completed_at = uow.now
        audit(
            uow,
            actor_id=actor.user_id,
            action="calibration.answer",
            entity_type="calibration_session",
            entity_id=s.id,
            project_id=project_id,
            after={"item_id": item_id, "answered": answered, "of": total},
        )
        uow.commit()
        return {"item_id": item_id, "value": clean, "answered": answered, "of": total}
