"""Where the quality engine plugs into the hot path, inside the submit's unit of work.

- `after_label`: the overlap policy decides whether the item needs another label
  (fixed overlap, or dynamic overlap while any required field is below the target confidence,
  `domain.work.overlap_fields`).
- `after_gold_answer`: the membership rules look at the member's recent gold answers and may
  move them (probation -> active, -> paused); every move is audited with its evidence. Answers
  on gold items under an open dispute (`gold_disputes`) are left out: a gold answer the crowd
  or a reviewer contests judges no one until the guideline owner settles it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, cast, func, select

from labelcrew.db.models.core import Annotation, Member
from labelcrew.domain.quality import membership
from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.domain.work.overlap import DynamicOverlap
from labelcrew.domain.work.overlap_fields import fields_below_target
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.quality.gold_scope import knowledge_answers
from labelcrew.services.uow import UnitOfWork
from labelcrew.services.work.rows import ItemRow, MemberRow, ProjectRow

DEFAULT_POLICY = membership.MembershipPolicy()
QUALIFICATION_SIZE = 10


def after_label(uow: UnitOfWork, project: ProjectRow, item: ItemRow, schema: LabelSchema) -> None:
    """Close the item (state 'done') or, under dynamic overlap, raise its overlap target; the
    caller writes the item's new counts."""
    if item.annotation_count < item.overlap_target:
        return
    if project.overlap_policy != "dynamic":
        item.state = "done"
        return
    rows = uow.session.execute(
        select(Annotation.annotator_id, Annotation.value).where(
            Annotation.item_id == item.id, Annotation.superseded_at.is_(None)
        )
    ).all()
    accuracy: dict[int, float | None] = dict(
        uow.session.execute(
            select(Annotation.annotator_id, func.avg(cast(Annotation.gold_correct, Integer)))
            .where(
                Annotation.project_id == project.id,
                Annotation.gold_correct.is_not(None),
                Annotation.annotator_id.in_([a for a, _ in rows]),
            )
            .group_by(Annotation.annotator_id)
        ).all()
    )
    policy = DynamicOverlap(
        target_confidence=project.target_confidence,
        min_overlap=project.overlap,
        max_overlap=project.max_overlap,
    )
    values = [v for _, v in rows]
    if fields_below_target(policy, schema, values, [accuracy.get(a) for a, _ in rows]):
        item.overlap_target += 1
    else:
        item.state = "done"


def after_gold_answer(uow: UnitOfWork, project: ProjectRow, member: MemberRow) -> bool:
    """Apply the membership rules after a gold answer; True when the member's status moved (the
    caller writes it)."""
    # The rules judge the gold answers given since the member entered their current state.
    window = max(DEFAULT_POLICY.window, DEFAULT_POLICY.probation_min_answers)
    query = select(Annotation.gold_correct).where(
        Annotation.project_id == project.id,
        Annotation.annotator_id == member.user_id,
        # not honeypots (their own rule) nor gold under an open dispute (judges no one)
        knowledge_answers(uow, project.id),
    )
    if member.status_since is not None:
        query = query.where(Annotation.created_at >= member.status_since)
    if member.status == "onboarding":
        size = int(project.settings.get("qualification_size", QUALIFICATION_SIZE))
        window = size
    recent = list(
        reversed(uow.session.scalars(query.order_by(Annotation.id.desc()).limit(window)).all())
    )
    if member.status == "onboarding":
        if len(recent) < window:
            return False
        result = membership.grade_qualification([bool(x) for x in recent], DEFAULT_POLICY.pass_mark)
        move = membership.qualification_transition(result)
        if move is None:  # failed: the next attempt starts now
            member.status_since = uow.now
            audit(
                uow,
                actor_id=None,
                action="member.qualification_failed",
                entity_type="member",
                entity_id=member.id,
                project_id=project.id,
                after={"score": result.score, "n": result.n, "pass_mark": DEFAULT_POLICY.pass_mark},
            )
            return True
    else:
        move = membership.evaluate(member.status, [bool(x) for x in recent], DEFAULT_POLICY)
    if move is None:
        return False
    member.status, member.status_since = move.to_state, uow.now
    record_move(uow, project.id, member, move.from_state, move.to_state, move.reason, move.evidence)
    return True


def record_move(
    uow: UnitOfWork,
    project_id: int,
    member: MemberRow | Member,
    before: str,
    after: str,
    reason: str,
    evidence: Any = None,
) -> None:
    """Audit and announce a membership move the quality engine made (no actor)."""
    audit(
        uow,
        actor_id=None,
        action="member.status",
        entity_type="member",
        entity_id=member.id,
        project_id=project_id,
        before={"status": before},
        after={"status": after, "reason": reason, "evidence": evidence},
    )
    emit(
        uow,
        project_id=project_id,
        event_type="member.status_changed",
        payload={"user_id": member.user_id, "from": before, "to": after, "reason": reason},
    )
