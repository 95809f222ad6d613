"""Reviews: a verdict on one annotation, the feedback its annotator sees, and the figures.

One review concerns one annotation (so the correction rate per annotator is a plain ratio);
a reviewer holding an item's review lease records one review per live annotation, and the
item's review task is done once every live annotation has one. A review carries a verdict
(accept, correct, reject), the corrected value for `correct` (validated against the current
schema), error tags from the project's taxonomy (at least one unless accepted) and rule
references that must exist in the current published guideline. Feedback that cites no rule
(neither `rule_refs` nor a "rule 4.2" in the comment) is stored but answered with a warning:
"per rule 4.2, occluded carts use class X" teaches, "fix this" does not.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Annotation, GuidelineRule, GuidelineVersion, User
from labelcrew.db.models.feedback import Review
from labelcrew.domain.review import verdicts
from labelcrew.errors import Conflict, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.review.feedback_settings import aware, load_item
from labelcrew.services.review.queue import open_task
from labelcrew.services.review.stats import feedback_stats as feedback_stats  # its public home
from labelcrew.services.review.taxonomy import check_tags, tag_names
from labelcrew.services.uow import Database, UnitOfWork

VERDICTS = verdicts.VERDICTS
RULE_MENTION = re.compile(r"\brules?\s+(\d+(?:\.\d+)*)", re.IGNORECASE)


def review_dict(r: Review) -> dict[str, Any]:
    return {
        "id": r.id,
        "item_id": r.item_id,
        "annotation_id": r.annotation_id,
        "annotator_id": r.annotator_id,
        "reviewer_id": r.reviewer_id,
        "verdict": r.verdict,
        "corrected_value": r.corrected_value,
        "error_tags": list(r.error_tags),
        "rule_refs": list(r.rule_refs),
        "comment": r.comment,
        "guideline_version": r.guideline_version,
        "created_at": r.created_at.isoformat(),
    }


def rules_of(uow: UnitOfWork, project_id: int, version: int | None) -> dict[str, GuidelineRule]:
    """The rules of one guideline version by number (empty when there is none)."""
    if version is None:
        return {}
    rows = uow.session.scalars(
        select(GuidelineRule)
        .join(GuidelineVersion, GuidelineVersion.id == GuidelineRule.guideline_version_id)
        .where(GuidelineVersion.project_id == project_id, GuidelineVersion.version == version)
    )
    return {r.number: r for r in rows}


def check_rule_refs(
    rules: dict[str, GuidelineRule], refs: list[str], version: int | None, *, field: str
) -> list[str]:
    clean: list[str] = []
    for i, ref in enumerate(refs):
        number = str(ref).strip()
        if number not in rules:
            raise ValidationFailed(
                f"rule {number!r} is not in the current guideline (version {version})",
                code="unknown_rule",
                field=f"{field}[{i}]",
            )
        if number not in clean:
            clean.append(number)
    return clean


def rule_warnings(
    rules: dict[str, GuidelineRule], refs: list[str], comment: str, *, needs_rule: bool
) -> list[dict[str, str]]:
    """Warnings for feedback not tied to a rule, and for rule numbers cited that do not exist."""
    mentioned = RULE_MENTION.findall(comment)
    warnings = []
    if not refs and not mentioned and (needs_rule or comment.strip()):
        warnings.append(
            {
                "code": "not_tied_to_rule",
                "message": "this feedback cites no guideline rule; write it as "
                "'per rule 4.2, ...' or give rule_refs",
            }
        )
    for number in mentioned:
        if number not in rules:
            warnings.append(
                {
                    "code": "unknown_rule_mentioned",
                    "message": f"the comment cites rule {number}, which the current "
                    "guideline does not have",
                }
            )
    return warnings


def _target(uow: UnitOfWork, item_id: int, task_id: int, annotation_id: int | None) -> Annotation:
    live = uow.session.scalars(
        select(Annotation)
        .where(Annotation.item_id == item_id, Annotation.superseded_at.is_(None))
        .order_by(Annotation.id)
    ).all()
    done = set(uow.session.scalars(select(Review.annotation_id).where(Review.task_id == task_id)))
    if annotation_id is None:
        todo = [a for a in live if a.id not in done]
        if len(todo) != 1:
            raise ValidationFailed(
                f"item {item_id} has {len(todo)} labels awaiting review; name annotation_id",
                field="annotation_id",
                details={"annotation_ids": [a.id for a in todo]},
            )
        return todo[0]
    found = next((a for a in live if a.id == annotation_id), None)
    if found is None:
        raise ValidationFailed(
            f"annotation {annotation_id} is not a live label of item {item_id}",
            code="annotation_not_found",
            field="annotation_id",
        )
    if found.id in done:
        raise Conflict(
            f"annotation {annotation_id} is already reviewed in this round",
            code="already_reviewed",
            field="annotation_id",
        )
    return found


def record_review(
    db: Database,
    actor: Actor,
    project_id: int,
    item_id: int,
    *,
    verdict: str,
    annotation_id: int | None = None,
    corrected_value: dict[str, Any] | None = None,
    error_tags: list[str] | None = None,
    rule_refs: list[str] | None = None,
    comment: str = "",
) -> dict[str, Any]:
    """Record one review; returns `{"review", "warnings", "task"}`."""
    verdicts.check_verdict(verdict, corrected_value, comment)
    with db.uow() as uow:
        project = load_project(uow, project_id)
        item = load_item(uow, project.id, item_id)
        task = open_task(uow, item.id)
        verdicts.check_review_lease(
            item_id=item_id,
            task_state=None if task is None else task.state,
            reviewer_id=None if task is None else task.reviewer_id,
            actor_id=actor.user_id,
        )
        assert task is not None
        own = uow.session.scalar(
            select(Annotation.id).where(
                Annotation.item_id == item.id, Annotation.annotator_id == actor.user_id
            )
        )
        verdicts.check_not_own(own is not None)
        target = _target(uow, item.id, task.id, annotation_id)
        tags = check_tags(uow, project.id, list(error_tags or []))
        verdicts.check_tags(verdict, tags)
        clean_value = None
        if corrected_value is not None:
            assert project.schema_version is not None
            schema = schema_for(uow, project.id, project.schema_version)
            clean_value = schema.validate(corrected_value, item.payload)
            verdicts.check_correction_changes(clean_value, target.value)
        rules = rules_of(uow, project.id, project.guideline_version)
        refs = check_rule_refs(
            rules, list(rule_refs or []), project.guideline_version, field="rule_refs"
        )
        warnings = rule_warnings(rules, refs, comment, needs_rule=verdict != "accept")
        review = Review(
            project_id=project.id,
            item_id=item.id,
            task_id=task.id,
            annotation_id=target.id,
            annotator_id=target.annotator_id,
            reviewer_id=actor.user_id,
            verdict=verdict,
            corrected_value=clean_value,
            error_tags=tags,
            rule_refs=refs,
            comment=comment,
            guideline_version=project.guideline_version,
            created_at=uow.now,
        )
        uow.session.add(review)
        uow.session.flush()
        reviewed = uow.session.scalars(
            select(Review.annotation_id).where(Review.task_id == task.id)
        )
        live = uow.session.scalars(
            select(Annotation.id).where(
                Annotation.item_id == item.id, Annotation.superseded_at.is_(None)
            )
        )
        remaining = verdicts.remaining(live, list(reviewed))
        if not remaining:
            task.state, task.done_at = "done", uow.now
        result: dict[str, Any] = {
            "review": review_dict(review),
            "warnings": warnings,
            "task": {"id": task.id, "state": task.state, "remaining_annotations": remaining},
        }
        audit(
            uow,
            actor_id=actor.user_id,
            action="review.record",
            entity_type="review",
            entity_id=review.id,
            project_id=project.id,
            after={**result["review"], "warnings": [w["code"] for w in warnings]},
        )
        emit(
            uow,
            project_id=project.id,
            event_type="review.done",
            payload={
                "project_id": project.id,
                "item_id": item.id,
                "review_id": review.id,
                "annotation_id": target.id,
                "annotator_id": target.annotator_id,
                "reviewer_id": actor.user_id,
                "verdict": verdict,
                "error_tags": tags,
                "rule_refs": refs,
            },
        )
        uow.commit()
        return result


def item_reviews(db: Database, project_id: int, item_id: int) -> list[dict[str, Any]]:
    with db.uow(read_only=True) as uow:
        rows = uow.session.scalars(
            select(Review)
            .where(Review.project_id == project_id, Review.item_id == item_id)
            .order_by(Review.id)
        )
        return [review_dict(r) for r in rows]


def _rule_texts(
    uow: UnitOfWork, project_id: int, versions: set[int]
) -> dict[tuple[int, str], GuidelineRule]:
    if not versions:
        return {}
    rows = uow.session.execute(
        select(GuidelineVersion.version, GuidelineRule)
        .join(GuidelineRule, GuidelineRule.guideline_version_id == GuidelineVersion.id)
        .where(GuidelineVersion.project_id == project_id, GuidelineVersion.version.in_(versions))
    ).all()
    return {(v, r.number): r for v, r in rows}


def my_feedback(
    db: Database, actor: Actor, project_id: int, *, since: datetime | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The reviews of the caller's own labels, newest first: verdict, the fields the reviewer
    corrected, tag names and the cited rules with their text (from the guideline version the
    review was made under).

    The corrected value itself is left out, for every item alike: on a gold item it is the
    answer key of an item that stays gold for everyone else, and hiding it only there would
    mark which reviews were of gold items. Feedback teaches the rule, not the answer."""
    with db.uow() as uow:  # writable: reading tag names may seed the default taxonomy
        query = (
            select(Review, Annotation.value, User.username)
            .join(Annotation, Annotation.id == Review.annotation_id)
            .join(User, User.id == Review.reviewer_id)
            .where(Review.project_id == project_id, Review.annotator_id == actor.user_id)
        )
        if since is not None:
            query = query.where(Review.created_at >= aware(since))
        rows = uow.session.execute(query.order_by(Review.id.desc()).limit(limit)).all()
        versions = {r.guideline_version for r, _, _ in rows if r.guideline_version is not None}
        texts = _rule_texts(uow, project_id, versions)
        tags = tag_names(uow, project_id)
        uow.commit()
        out = []
        for review, value, reviewer in rows:
            rules = []
            for number in review.rule_refs:
                rule = texts.get((review.guideline_version or 0, number))
                rules.append(
                    {
                        "number": number,
                        "title": rule.title if rule else "",
                        "text": rule.text if rule else None,
                    }
                )
            shown = review_dict(review)
            corrected = shown.pop("corrected_value") or {}
            out.append(
                {
                    **shown,
                    "corrected_fields": sorted(
                        k for k, v in corrected.items() if (value or {}).get(k) != v
                    ),
                    "your_value": value,
                    "reviewer": reviewer,
                    "error_tags": [
                        {"code": c, "name": tags[c].name if c in tags else c}
                        for c in review.error_tags
                    ],
                    "rules": rules,
                }
            )
        return out
