"""The review queue: which items get reviewed, and the tasks that hold them.

Items enter the queue by the project's `review_policy` (see `feedback_common`): a random audit
of each annotated item (a higher rate for members on probation), every item whose overlap
labels disagree on any required field (each field by its own agreement rule, see
`domain.quality.splits`), every gold miss, and every item an annotator flagged.
Each task keeps the reasons it was queued for. `enqueue_if_sampled` runs inside the submit's
unit of work: at most one small read of the item's live labels and one insert or update;
`sample_backlog` applies the policy to labels that were never sampled.

Handing tasks to reviewers (leases, no self-review, WIP) is `review_leases`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import exists, func, select

from labelcrew.db.models.core import Annotation, Item, Member
from labelcrew.db.models.feedback import ReviewTask
from labelcrew.domain.quality.splits import disagreeing
from labelcrew.errors import Conflict, Forbidden, NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.review.feedback_settings import held, load_item, member_of, review_policy
from labelcrew.services.uow import Database, UnitOfWork
from labelcrew.services.work.rows import AnnotationRow, ItemRow, ProjectRow

PRIORITY = {"flag": 3, "gold_miss": 3, "disagreement": 2, "audit": 1}


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
    disagrees: Callable[[], bool],
) -> list[str]:
    """The submit hook: queue the item for review if the policy samples it; returns the reasons.

    Call after the annotation is flushed (it needs its id), inside the submit's unit of work.
    `disagrees` tells whether the item's live labels disagree on a required field; it is asked
    only when the policy routes disagreements and the item has two labels or more.
    """
    kinds = _kinds(uow, review_policy(project), item, status, annotation, disagrees)
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
        # Only the caller's own flags: the task's other reasons (a gold miss, an audit), its id,
        # state and age would tell a gold item from an ordinary one (issue 14).
        result = {
            "item_id": item.id,
            "priority": PRIORITY["flag"],
            "reasons": [
                r
                for r in task.reasons
                if r.get("kind") == "flag" and r.get("annotator_id") == actor.user_id
            ],
        }
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
        schema = schema_for(uow, project.id, project.schema_version)
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
            split = bool(disagreeing(schema, [a.value for a in annotations]))
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
