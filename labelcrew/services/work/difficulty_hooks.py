"""Difficulty routing hooks: raise an item's difficulty on a skip or when its live labels
disagree (each at most one UPDATE on the hot path), and flag an ambiguous item for senior
review. The routing itself (seniors first on hard items, new members on easy ones) is the tier
order of `labelcrew.domain.teamops.seniority.tiers`, applied in the assignment engine's candidate scan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, func, select, update

from labelcrew.db.models.core import Annotation, AuditEvent, Item
from labelcrew.domain.quality.splits import disagreeing
from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.errors import NotFound, Throttled, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.review.feedback_settings import held
from labelcrew.services.teamops.settings import DEFAULTS as TEAMOPS_DEFAULTS
from labelcrew.services.uow import Database, UnitOfWork
from labelcrew.services.work.rows import ItemRow

MAX_REASON = 1000
FLAG_ACTION = "item.flag_senior"


def raise_difficulty(uow: UnitOfWork, item_id: int) -> None:
    """One step up (easy -> normal -> hard) in one UPDATE; for skips and escalations."""
    uow.session.execute(
        update(Item)
        .where(Item.id == item_id, Item.difficulty != "hard")
        .values(difficulty=case((Item.difficulty == "easy", "normal"), else_="hard"))
        .execution_options(synchronize_session=False)
    )


def live_disagreement(uow: UnitOfWork, item_id: int, schema: LabelSchema) -> Callable[[], bool]:
    """Do the item's live labels disagree on any required field (each field by its own
    agreement rule, `domain.quality.splits`)? Read at most once, when first asked: the submit
    hooks that need it (hard items here, disagreement routing in the review queue) share it."""
    found: list[bool] = []

    def disagrees() -> bool:
        if not found:
            values = uow.session.scalars(
                select(Annotation.value).where(
                    Annotation.item_id == item_id, Annotation.superseded_at.is_(None)
                )
            ).all()
            found.append(bool(disagreeing(schema, values)))
        return found[0]

    return disagrees


def after_submit(uow: UnitOfWork, item: ItemRow, disagrees: Callable[[], bool]) -> None:
    """Make the item hard when its live labels disagree (`live_disagreement`); asked only when
    a disagreement is possible (a second label on an item not yet hard), then one UPDATE."""
    if item.annotation_count < 2 or item.difficulty == "hard" or not disagrees():
        return
    uow.session.execute(
        update(Item)
        .where(and_(Item.id == item.id, Item.difficulty != "hard"))
        .values(difficulty="hard")
        .execution_options(synchronize_session=False)
    )


def flag_for_senior(
    db: Database, actor: Actor, ref: int | str, item_id: int, *, reason: str
) -> dict[str, Any]:
    """An annotator flags an ambiguous item: it becomes hard (so seniors get it first) and,
    when the review capability offers an enqueue function, it goes to review.

    Only an item the caller holds or held (the check `/flag` makes), and at most the project's
    `senior_review_per_hour` flags per annotator per rolling hour, counted from the audit log:
    otherwise one member could mark every item hard and reroute the whole queue."""
    if not reason.strip() or len(reason) > MAX_REASON:
        raise ValidationFailed(
            f"say in 1 to {MAX_REASON} characters what is ambiguous", field="reason"
        )
    with db.uow() as uow:
        project = load_project(uow, ref)
        item = uow.session.get(Item, item_id)
        if item is None or item.project_id != project.id or not held(uow, item.id, actor.user_id):
            # The same answer for a foreign item as for none: ids reveal nothing.
            raise NotFound(
                f"you hold no assignment on item {item_id}", code="item_not_found", field="item_id"
            )
        _check_rate(uow, project.id, actor, (project.settings or {}).get("senior_review_per_hour"))
        before = item.difficulty
        item.difficulty = "hard"
        queued = _enqueue_review(uow, project.id, item.id, reason)
        after = {"difficulty": "hard", "reason": reason, "senior_review": True, "queued": queued}
        audit(
            uow,
            actor_id=actor.user_id,
            action=FLAG_ACTION,
            entity_type="item",
            entity_id=item.id,
            project_id=project.id,
            before={"difficulty": before},
            after=after,
        )
        emit(
            uow,
            project_id=project.id,
            event_type="item.flagged_senior",
            payload={"item_id": item.id, "reason": reason, "by": actor.user_id},
        )
        uow.commit()
        return {"item_id": item.id, **after}


def _check_rate(uow: UnitOfWork, project_id: int, actor: Actor, setting: Any) -> None:
    limit = int(setting or TEAMOPS_DEFAULTS["senior_review_per_hour"])
    window = timedelta(hours=1)
    recent, oldest = uow.session.execute(
        select(func.count(), func.min(AuditEvent.at)).where(
            AuditEvent.project_id == project_id,
            AuditEvent.at > uow.now - window,
            AuditEvent.actor_id == actor.user_id,
            AuditEvent.action == FLAG_ACTION,
        )
    ).one()
    if recent >= limit:
        # SQLite hands back naive datetimes; the stored ones are UTC.
        first = oldest if oldest.tzinfo else oldest.replace(tzinfo=uow.now.tzinfo)
        wait = max(1, int((first + window - uow.now).total_seconds()) + 1)
        raise Throttled(
            f"at most {limit} senior-review flags per hour per annotator (the project's "
            f"senior_review_per_hour setting); the next one is possible in {wait} s",
            retry_after=wait,
            code="rate_limited",
            field="senior_review_per_hour",
            details={"limit": limit, "window_seconds": int(window.total_seconds())},
        )


def _enqueue_review(uow: UnitOfWork, project_id: int, item_id: int, reason: str) -> bool:
    """Queue the item for review through the review capability, at flag priority."""
    # Imported here: the review queue imports the submit path, which imports these hooks.
    from labelcrew.services.review import queue as review_queue

    flag = {"kind": "flag", "senior": True, "reason": f"senior review: {reason}"}
    review_queue.add_reasons(uow, project_id, item_id, [{**flag, "at": uow.now.isoformat()}])
    return True
