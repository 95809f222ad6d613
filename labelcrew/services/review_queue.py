"""The review queue: which items get reviewed, and handing them to reviewers like the annotation
queue hands items to annotators.

Items enter the queue by the project's `review_policy` (see `feedback_common`): a random audit
of each annotated item (a higher rate for members on probation), every item whose overlap
labels disagree on the primary field, every gold miss, and every item an annotator flagged.
Each task keeps the reasons it was queued for. `enqueue_if_sampled` runs inside the submit's
unit of work: at most one small read of the item's live labels and one insert or update.

A reviewer gets their own unexpired lease first; then the most urgent task (flags and gold
misses, then disagreements, then audits; oldest first) on an item they did not label
themselves: nobody reviews their own work. The WIP limit is the member's, else the project's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import orjson
from sqlalchemy import and_, exists, func, or_, select

from labelcrew.db.models import Annotation, GoldAnswer, Item, Member, Project, User
from labelcrew.db.models_feedback import ReviewTask
from labelcrew.domain.schema import LabelSchema
from labelcrew.errors import Conflict, Forbidden, NotFound, ValidationFailed
from labelcrew.services import privacy, submission  # submission calls back into us
from labelcrew.services.accounts import Actor
from labelcrew.services.events import audit, emit
from labelcrew.services.feedback_common import held, load_item, member_of, review_policy
from labelcrew.services.projects import load_project
from labelcrew.services.queue import lock_member
from labelcrew.services.uow import Database, UnitOfWork
from labelcrew.services.work_rows import AnnotationRow, ItemRow, ProjectRow

PRIORITY = {"flag": 3, "gold_miss": 3, "disagreement": 2, "audit": 1}
REVIEWER_ROLES = frozenset({"reviewer", "qa", "lead"})


def task_dict(t: ReviewTask) -> dict[str, Any]:
    return {
        "id": t.id,
        "item_id": t.item_id,
        "state": t.state,
        "priority": t.priority,
        "reasons": list(t.reasons),
        "reviewer_id": t.reviewer_id,
        "leased_at": t.leased_at.isoformat() if t.leased_at else None,
        "expires_at": t.expires_at.isoformat() if t.expires_at else None,
        "created_at": t.created_at.isoformat(),
        "done_at": t.done_at.isoformat() if t.done_at else None,
    }


def open_task(uow: UnitOfWork, item_id: int) -> ReviewTask | None:
    return uow.session.scalar(
        select(ReviewTask).where(ReviewTask.item_id == item_id, ReviewTask.state != "done")
    )


def add_reasons(
    uow: UnitOfWork, project_id: int, item_id: int, reasons: list[dict[str, Any]]
) -> ReviewTask:
    """Queue the item (or add reasons to its unfinished task); one insert or one update."""
    task = open_task(uow, item_id)
    priority = max(PRIORITY.get(r["kind"], 1) for r in reasons)
    if task is None:
        task = ReviewTask(
            project_id=project_id,
            item_id=item_id,
            reasons=reasons,
            priority=priority,
            state="pending",
            created_at=uow.now,
        )
        uow.session.add(task)
        return task

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return (r["kind"], r.get("annotation_id"), r.get("annotator_id"), r.get("reason"))

    seen = {key(r) for r in task.reasons}
    task.reasons = [*task.reasons, *(r for r in reasons if key(r) not in seen)]
    task.priority = max(task.priority, priority)
    return task


def _canonical(schema: LabelSchema, value: dict[str, Any]) -> Any:
    primary = schema.primary_field
    if primary is None:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return schema.agreement_value(primary.name, value.get(primary.name))


def _disagrees(uow: UnitOfWork, item: Item | ItemRow, schema: LabelSchema) -> bool:
    values = uow.session.scalars(
        select(Annotation.value).where(
            Annotation.item_id == item.id, Annotation.superseded_at.is_(None)
        )
    ).all()
    return len({_canonical(schema, v) for v in values}) > 1


def _kinds(
    uow: UnitOfWork,
    policy: dict[str, Any],
    item: Item | ItemRow,
    status: str,
    annotation: Annotation | AnnotationRow,
    disagrees: Callable[[], bool],
) -> list[str]:
    if item.is_gold:
        return ["gold_miss"] if policy["gold_miss"] and annotation.gold_correct is False else []
    kinds = []
    on_trial = status in ("probation", "onboarding")
    rate = policy["probation_audit_rate"] if on_trial else policy["audit_rate"]
    if rate > 0 and uow.db.rng.random() < rate:
        kinds.append("audit")
    if policy["disagreement"] and item.annotation_count >= 2 and disagrees():
        kinds.append("disagreement")
    return kinds


def enqueue_if_sampled(
    uow: UnitOfWork,
    project: ProjectRow,
    item: ItemRow,
    status: str,
    annotation: AnnotationRow,
    schema: LabelSchema,
) -> list[str]:
    """The submit hook: queue the item for review if the policy samples it; returns the reasons.

    Call after the annotation is flushed (it needs its id), inside the submit's unit of work.
    """
    kinds = _kinds(
        uow, review_policy(project), item, status, annotation,
        lambda: _disagrees(uow, item, schema),
    )  # fmt: skip
    if kinds:
        add_reasons(
            uow,
            project.id,
            item.id,
            [
                {
                    "kind": kind,
                    "annotation_id": annotation.id,
                    "annotator_id": annotation.annotator_id,
                    "at": uow.now.isoformat(),
                }
                for kind in kinds
            ],
        )
    return kinds


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


def flag_item(
    db: Database, actor: Actor, project_id: int, item_id: int, *, reason: str
) -> dict[str, Any]:
    """An annotator asks for a review of an item they hold or held (a doubtful item, a typo in
    the payload...); the reason goes with the task."""
    reason = reason.strip()
    if not 1 <= len(reason) <= 2000:
        raise ValidationFailed("a flag needs a reason of 1 to 2000 characters", field="reason")
    with db.uow() as uow:
        project = load_project(uow, project_id)
        member = member_of(uow, project.id, actor.user_id)
        if member is None or "annotator" not in member.roles:
            raise Forbidden("only annotators of this project flag items", code="not_an_annotator")
        item = load_item(uow, project.id, item_id)
        if not held(uow, item.id, actor.user_id):
            raise NotFound(
                f"you hold no assignment on item {item_id}", code="item_not_found", field="item_id"
            )
        if not review_policy(project)["flags"]:
            raise Conflict("this project does not take flags", code="flags_disabled")
        flag = {"kind": "flag", "annotator_id": actor.user_id, "reason": reason}
        task = add_reasons(uow, project.id, item.id, [{**flag, "at": uow.now.isoformat()}])
        uow.session.flush()
        audit(
            uow,
            actor_id=actor.user_id,
            action="item.flag",
            entity_type="item",
            entity_id=item.id,
            project_id=project.id,
            after={"review_task_id": task.id, "reason": reason},
        )
        emit(
            uow,
            project_id=project.id,
            event_type="item.flagged",
            payload={"item_id": item.id, "annotator_id": actor.user_id, "reason": reason},
        )
        result = task_dict(task)
        uow.commit()
        return result


def list_queue(
    db: Database, project_id: int, *, state: str | None = None, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    if state is not None and state not in ("pending", "leased", "done"):
        raise ValidationFailed("state must be pending, leased or done", field="state")
    with db.uow(read_only=True) as uow:
        query = select(ReviewTask).where(ReviewTask.project_id == project_id)
        if state is not None:
            query = query.where(ReviewTask.state == state)
        query = query.order_by(ReviewTask.priority.desc(), ReviewTask.id)
        return [task_dict(t) for t in uow.session.scalars(query.limit(limit).offset(offset))]


def sample_backlog(
    db: Database, actor: Actor, project_id: int | str, *, audit_sample: bool = False
) -> dict[str, Any]:
    """Apply the policy to labels that were never sampled (items with no review task): after a
    policy change, or for labels made before the feedback loop existed. Disagreements and gold
    misses are deterministic; the random audit is opt-in (each run draws again)."""
    with db.uow() as uow:
        project = load_project(uow, project_id)
        if project.schema_version is None:  # no schema, no labels
            return {"items_considered": 0, "queued": {}, "open_tasks": 0}
        schema = submission.schema_for(uow, project.id, project.schema_version)
        policy = review_policy(project)
        if not audit_sample:
            policy = {**policy, "audit_rate": 0.0, "probation_audit_rate": 0.0}
        statuses = dict(
            uow.session.execute(
                select(Member.user_id, Member.status).where(Member.project_id == project.id)
            ).all()
        )
        never = ~exists().where(ReviewTask.item_id == Annotation.item_id)
        rows = uow.session.execute(
            select(Annotation, Item)
            .join(Item, Item.id == Annotation.item_id)
            .where(Annotation.project_id == project.id, Annotation.superseded_at.is_(None), never)
            .order_by(Annotation.id)
        ).all()
        by_item: dict[int, list[Annotation]] = defaultdict(list)
        items: dict[int, Item] = {}
        for annotation, item in rows:
            by_item[item.id].append(annotation)
            items[item.id] = item
        queued: dict[str, int] = defaultdict(int)
        for item_id, annotations in by_item.items():
            split = len({_canonical(schema, a.value) for a in annotations}) > 1
            reasons: list[dict[str, Any]] = []
            for a in annotations:
                for kind in _kinds(
                    uow, policy, items[item_id], statuses.get(a.annotator_id, "active"), a,
                    partial(bool, split),
                ):  # fmt: skip
                    reasons.append(
                        {"kind": kind, "annotation_id": a.id, "annotator_id": a.annotator_id}
                    )
            if reasons:
                add_reasons(uow, project.id, item_id, reasons)
                for kind in {r["kind"] for r in reasons}:
                    queued[kind] += 1
        total = sum(1 for _ in by_item)
        audit(
            uow,
            actor_id=actor.user_id,
            action="review.sample_backlog",
            entity_type="project",
            entity_id=project.id,
            project_id=project.id,
            after={"items_considered": total, "queued": dict(queued)},
        )
        pending = uow.session.scalar(
            select(func.count())
            .select_from(ReviewTask)
            .where(ReviewTask.project_id == project.id, ReviewTask.state != "done")
        )
        uow.commit()
        return {"items_considered": total, "queued": dict(queued), "open_tasks": pending}
