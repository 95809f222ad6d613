"""Disputed gold answers over stored labels, raised as ``gold_disputed`` alerts for the guideline
owner instead of silently punishing the members who answered well.

:func:`disputed_gold` reads the project's gold answers, every live scored annotation
(``gold_correct`` set, not superseded) and every review that accepted an annotation scored
wrong, and applies :func:`labelcrew.domain.quality.gold_disputes.dispute_of` per gold item under
the project's current schema; each member's accuracy is their gold accuracy on their other gold
items. :func:`flag_disputed_gold` raises one alert per item (subject ``item:{id}``); its window is
the (gold value, crowd value) pair in dispute, so a lead's resolution stands while the same
two answers are in dispute and a new alternative (or an edited gold answer) is raised again.
:func:`disputed_item_ids` lists the items with an open alert. All run inside the caller's unit
of work and never commit.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Annotation, GoldAnswer, Item, User
from labelcrew.db.models.feedback import Review
from labelcrew.db.models.quality import Alert
from labelcrew.domain.quality.gold_disputes import (
    Accepted,
    Answer,
    accuracy_elsewhere,
    dispute_of,
)
from labelcrew.services.projects.projects import load_project
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.quality.alerts import raise_alert, was_resolved
from labelcrew.services.uow import Database, UnitOfWork

GOLD_DISPUTED = "gold_disputed"
SUBJECT_PREFIX = "item:"


def _answers(uow: UnitOfWork, project_id: int) -> dict[int, list[Answer]]:
    """Live scored annotations by item, oldest first: (member, value, correct)."""
    rows = uow.session.execute(
        select(Annotation.item_id, User.username, Annotation.value, Annotation.gold_correct)
        .join(User, User.id == Annotation.annotator_id)
        .where(
            Annotation.project_id == project_id,
            Annotation.gold_correct.is_not(None),
            Annotation.superseded_at.is_(None),
        )
        .order_by(Annotation.id)
    )
    out: dict[int, list[Answer]] = defaultdict(list)
    for r in rows:
        out[r.item_id].append((r.username, r.value or {}, bool(r.gold_correct)))
    return out


def _accepted(uow: UnitOfWork, project_id: int) -> dict[int, list[Accepted]]:
    """Reviews that accepted an annotation scored wrong, by item: (reviewer, value)."""
    rows = uow.session.execute(
        select(Review.item_id, User.username, Annotation.value)
        .join(Annotation, Annotation.id == Review.annotation_id)
        .join(User, User.id == Review.reviewer_id)
        .where(
            Review.project_id == project_id,
            Review.verdict == "accept",
            Annotation.gold_correct.is_(False),
        )
        .order_by(Review.id)
    )
    out: dict[int, list[Accepted]] = defaultdict(list)
    for r in rows:
        out[r.item_id].append((r.username, r.value or {}))
    return out


def disputed_gold(
    uow: UnitOfWork,
    project_id: int,
    *,
    min_answers: int = 5,
    share: float = 0.8,
    min_accuracy: float = 0.8,
) -> list[dict[str, Any]]:
    """One entry per disputed gold item, by item id: item_id, external_id, rule_number, kind,
    fields, gold, crowd, counts, accuracy and reviewers; [] for a project without a schema."""
    project = load_project(uow, project_id)
    if project.schema_version is None:
        return []
    schema = schema_for(uow, project.id, project.schema_version)
    answers, accepted = _answers(uow, project_id), _accepted(uow, project_id)
    totals: dict[str, tuple[int, int]] = {}
    for item_answers in answers.values():
        for member, _, correct in item_answers:
            right, scored = totals.get(member, (0, 0))
            totals[member] = (right + int(correct), scored + 1)
    gold_rows = uow.session.execute(
        select(Item.id, Item.external_id, GoldAnswer.rule_number, GoldAnswer.value)
        .join(GoldAnswer, GoldAnswer.item_id == Item.id)
        .where(Item.project_id == project_id)
        .order_by(Item.id)
    )
    out = []
    for row in gold_rows:
        mine = answers.get(row.id, [])
        dispute = dispute_of(
            row.value or {},
            mine,
            accuracy_elsewhere(totals, mine),
            schema,
            min_answers=min_answers,
            share=share,
            min_accuracy=min_accuracy,
            accepted=accepted.get(row.id, []),
        )
        if dispute is not None:
            out.append(
                {
                    "item_id": row.id,
                    "external_id": row.external_id,
                    "rule_number": row.rule_number,
                    **dispute.to_dict(),
                }
            )
    return out


def _shown(values: dict[str, Any]) -> str:
    """A value in a message: 'negative' alone, or sentiment 'negative', topic 'x' for several."""

    def one(value: Any) -> str:
        if value is None:
            return "nothing"
        return f"'{value}'" if isinstance(value, str) else json.dumps(value)

    if len(values) == 1:
        return one(next(iter(values.values())))
    return ", ".join(f"{name} {one(value)}" for name, value in values.items())


def dispute_message(d: dict[str, Any]) -> str:
    """The alert's plain message, e.g. "Gold item x17 (rule 2.1) may be wrong: 6 of 7 members
    answered 'negative', gold says 'neutral'"."""
    rule = f" (rule {d['rule_number']})" if d.get("rule_number") else ""
    counts, crowd, gold = d["counts"], _shown(d["crowd"]), _shown(d["gold"])
    reviewers = ", ".join(d["reviewers"])
    head = f"Gold item {d['external_id']}{rule} may be wrong: "
    if d["kind"] == "consensus":
        tail = f"; reviewer {reviewers} accepted it" if reviewers else ""
        return (
            f"{head}{counts['agreeing']} of {counts['answers']} members answered {crowd}, "
            f"gold says {gold}{tail}"
        )
    return (
        f"{head}reviewer {reviewers} accepted the answer {crowd} "
        f"({counts['agreeing']} of {counts['answers']} members gave it), gold says {gold}"
    )


def flag_disputed_gold(
    uow: UnitOfWork, project_id: int, disputes: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Raise (or refresh) a ``gold_disputed`` alert per dispute (from :func:`disputed_gold`); a
    dispute whose (gold, crowd) window a lead already resolved is skipped. Returns the alerts
    raised: item_id, kind, subject, message and evidence."""
    raised = []
    for dispute in disputes:
        subject = f"{SUBJECT_PREFIX}{dispute['item_id']}"
        window = [dispute["gold"], dispute["crowd"]]
        if was_resolved(
            uow, project_id=project_id, kind=GOLD_DISPUTED, subject=subject, window=window
        ):
            continue
        evidence = {**dispute, "window": window}
        message = dispute_message(dispute)
        raise_alert(
            uow,
            project_id=project_id,
            kind=GOLD_DISPUTED,
            subject=subject,
            message=message,
            evidence=evidence,
        )
        raised.append(
            {
                "item_id": dispute["item_id"],
                "kind": GOLD_DISPUTED,
                "subject": subject,
                "message": message,
                "evidence": evidence,
            }
        )
    return raised


def disputed_item_ids(uow: UnitOfWork, project_id: int) -> set[int]:
    """The gold items with an open ``gold_disputed`` alert (their answers are to be left out
    of gold accuracy and the membership rules while the dispute is open)."""
    subjects = uow.session.scalars(
        select(Alert.subject).where(
            Alert.project_id == project_id,
            Alert.kind == GOLD_DISPUTED,
            Alert.state == "open",
        )
    )
    return {
        int(s.removeprefix(SUBJECT_PREFIX))
        for s in subjects
        if s.startswith(SUBJECT_PREFIX) and s.removeprefix(SUBJECT_PREFIX).isdigit()
    }


def flag(db: Database, project_id: int) -> list[dict[str, Any]]:
    """The hourly scan's step: find the disputes (read-only), then raise their alerts."""
    with db.uow(read_only=True) as uow:
        disputes = disputed_gold(uow, project_id)
    with db.uow() as uow:
        raised = flag_disputed_gold(uow, project_id, disputes)
        uow.commit()
    return raised
