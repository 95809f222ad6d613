"""Handing review tasks to reviewers, like the annotation queue hands items to annotators.

A reviewer gets their own unexpired lease first; then the most urgent task (flags and gold
misses, then disagreements, then audits; oldest first) on an item they did not label
themselves: nobody reviews their own work. The WIP limit is the member's, else the project's.
`review_queue` decides which items enter the queue; this module leases and releases them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select

from labelcrew.db.models.core import Annotation, GoldAnswer, Member, Project, User
from labelcrew.db.models.feedback import Review, ReviewTask
from labelcrew.errors import Conflict, Forbidden, NotFound
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.review.feedback_settings import load_item
from labelcrew.services.review.queue import open_task, task_dict
from labelcrew.services.teamops import privacy
from labelcrew.services.uow import Database, UnitOfWork
from labelcrew.services.work.candidates import lock_member

REVIEWER_ROLES = frozenset({"reviewer", "qa", "lead"})


def _may_review(member: Member | None, actor: Actor) -> None:
    if not actor.is_admin and (member is None or not REVIEWER_ROLES & set(member.roles)):
        raise Forbidden("only reviewers, QA and leads review", code="not_a_reviewer")


def review_lease_dict(
    uow: UnitOfWork, task: ReviewTask, project: Project, viewer: Actor, member: Member | None
) -> dict[str, Any]:
    """What a reviewer sees: the item (sensitive fields masked for the reviewer's roles), every
    live label with its annotator, why it is here."""
    item = load_item(uow, project.id, task.item_id)
    payload = privacy.view(
        project, item.payload, member.roles if member else (), is_admin=viewer.is_admin
    )
    rows = uow.session.execute(
        select(Annotation, User.username)
        .join(User, User.id == Annotation.annotator_id)
        .where(Annotation.item_id == item.id, Annotation.superseded_at.is_(None))
        .order_by(Annotation.id)
    ).all()
    # This round's verdicts: a reloaded page must show reviewed labels as done, or the next
    # review of one is refused (409 already_reviewed) and the item never completes (issue 17).
    verdicts = dict(
        uow.session.execute(
            select(Review.annotation_id, Review.verdict).where(Review.task_id == task.id)
        ).all()
    )
    gold = uow.session.get(GoldAnswer, item.id) if item.is_gold else None
    return {
        "task": task_dict(task),
        "item": {"id": item.id, "external_id": item.external_id, "payload": payload},
        "annotations": [
            {
                "annotation_id": a.id,
                "annotator_id": a.annotator_id,
                "annotator": name,
                "value": a.value,
                "guideline_version": a.guideline_version,
                "created_at": a.created_at.isoformat(),
                "reviewed": verdicts.get(a.id),
            }
            for a, name in rows
        ],
        "gold": None if gold is None else {"value": gold.value, "rule": gold.rule_number},
        "schema_version": project.schema_version,
        "guideline_version": project.guideline_version,
    }


def _pick(uow: UnitOfWork, project_id: int, user_id: int, skip: list[int]) -> ReviewTask | None:
    own_label = exists().where(
        Annotation.item_id == ReviewTask.item_id, Annotation.annotator_id == user_id
    )
    has_label = exists().where(
        Annotation.item_id == ReviewTask.item_id, Annotation.superseded_at.is_(None)
    )
    query = (
        select(ReviewTask)
        .where(
            ReviewTask.project_id == project_id,
            or_(
                ReviewTask.state == "pending",
                and_(ReviewTask.state == "leased", ReviewTask.expires_at <= uow.now),
            ),
            ~own_label,
            has_label,
        )
        .order_by(ReviewTask.priority.desc(), ReviewTask.id)
        .limit(1)
    )
    if skip:
        query = query.where(ReviewTask.id.notin_(skip))
    if not uow.db.is_sqlite:
        query = query.with_for_update(skip_locked=True, of=ReviewTask)
    return uow.session.scalar(query)


def next_review(
    db: Database, actor: Actor, project_id: int, *, another: bool = False
) -> dict[str, Any]:
    with db.uow() as uow:
        project = load_project(uow, project_id)
        member = lock_member(uow.session, project.id, actor.user_id)
        _may_review(member, actor)
        mine = uow.session.scalars(
            select(ReviewTask)
            .where(
                ReviewTask.project_id == project.id,
                ReviewTask.reviewer_id == actor.user_id,
                ReviewTask.state == "leased",
            )
            .order_by(ReviewTask.leased_at, ReviewTask.id)
        ).all()
        lease_for = timedelta(seconds=project.lease_seconds)
        if mine and not another:
            task = mine[0]
            if task.expires_at is None or task.expires_at <= uow.now:
                task.expires_at = uow.now + lease_for  # nobody took it: still ours
            result = review_lease_dict(uow, task, project, actor, member)
            uow.commit()
            return result
        limit = (member.wip_limit if member else None) or project.wip_limit
        live = [t for t in mine if t.expires_at is not None and t.expires_at > uow.now]
        if len(live) >= limit:
            raise Conflict(
                f"you hold {limit} reviews already; finish or release one first",
                code="wip_limit_reached",
            )
        picked = _pick(uow, project.id, actor.user_id, [t.id for t in mine])
        if picked is None:
            raise NotFound("no item needs your review right now", code="review_queue_empty")
        task = picked
        task.state, task.reviewer_id = "leased", actor.user_id
        task.leased_at, task.expires_at = uow.now, uow.now + lease_for
        audit(
            uow,
            actor_id=actor.user_id,
            action="review.lease",
            entity_type="review_task",
            entity_id=task.id,
            project_id=project.id,
            after={"item_id": task.item_id, "expires_at": task.expires_at.isoformat()},
        )
        result = review_lease_dict(uow, task, project, actor, member)
        uow.commit()
        return result


def release_review(db: Database, actor: Actor, project_id: int, item_id: int) -> dict[str, Any]:
    """Give a review lease back to the queue."""
    with db.uow() as uow:
        task = open_task(uow, item_id)
        if (
            task is None
            or task.project_id != project_id
            or task.state != "leased"
            or task.reviewer_id != actor.user_id
        ):
            raise NotFound(
                f"you hold no review lease on item {item_id}",
                code="no_review_lease",
                field="item_id",
            )
        task.state, task.reviewer_id, task.leased_at, task.expires_at = "pending", None, None, None
        audit(
            uow,
            actor_id=actor.user_id,
            action="review.release",
            entity_type="review_task",
            entity_id=task.id,
            project_id=project_id,
            before={"state": "leased"},
            after={"state": "pending"},
        )
        result = task_dict(task)
        uow.commit()
        return result
