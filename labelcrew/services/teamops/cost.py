"""Cost next to quality and speed: with optional hourly or per-item rates per member, the cost
per accepted label for each member and each batch, beside gold accuracy and median seconds per
label, so a lead sees the speed / accuracy / cost trade-off.

    cost_m      = item_rate_m * labels_m + hourly_rate_m * (sum of label durations_m) / 3600
    accepted_m  = live labels of m that no review rejected
    cost per accepted label = cost_m / accepted_m

A batch's cost is the sum over its labels of each labeler's per-label cost.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Annotation, Item, Member, User
from labelcrew.db.models.feedback import Review
from labelcrew.db.models.teamops import MemberProfile
from labelcrew.services.projects.projects import load_project
from labelcrew.services.uow import Database, UnitOfWork


def _rejected(uow: UnitOfWork, project_id: int) -> set[int]:
    return set(
        uow.session.scalars(
            select(Review.annotation_id).where(
                Review.project_id == project_id, Review.verdict == "reject"
            )
        )
    )


def _label_cost(profile: MemberProfile | None, duration_ms: int | None) -> float | None:
    if profile is None or (profile.item_rate is None and profile.hourly_rate is None):
        return None
    cost = profile.item_rate or 0.0
    if profile.hourly_rate is not None and duration_ms:
        cost += profile.hourly_rate * duration_ms / 3_600_000.0
    return cost


def _round(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


def cost_report(db: Database, ref: int | str) -> dict[str, Any]:
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        profiles = {
            p.user_id: p
            for p in uow.session.scalars(
                select(MemberProfile).where(MemberProfile.project_id == project.id)
            )
        }
        names = dict(
            uow.session.execute(
                select(Member.user_id, User.username)
                .join(User, User.id == Member.user_id)
                .where(Member.project_id == project.id)
            ).all()
        )
        rejected = _rejected(uow, project.id)
        rows = uow.session.execute(
            select(
                Annotation.id,
                Annotation.annotator_id,
                Annotation.duration_ms,
                Annotation.gold_correct,
                Item.batch_id,
                Item.is_gold,
            )
            .join(Item, Item.id == Annotation.item_id)
            .where(Annotation.project_id == project.id, Annotation.superseded_at.is_(None))
        ).all()
    per: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"labels": 0, "accepted": 0, "cost": 0.0, "priced": False, "ms": [], "gold": []}
    )
    batches: dict[int | None, dict[str, Any]] = defaultdict(
        lambda: {"labels": 0, "accepted": 0, "cost": 0.0, "priced": 0}
    )
    for ann_id, user_id, ms, gold_correct, batch_id, is_gold in rows:
        m = per[user_id]
        if gold_correct is not None:
            m["gold"].append(bool(gold_correct))
        if ms:
            m["ms"].append(ms)
        cost = _label_cost(profiles.get(user_id), ms)
        m["labels"] += 1
        b = batches[batch_id]
        b["labels"] += 1
        if cost is not None:
            m["cost"] += cost
            m["priced"] = True
            b["cost"] += cost
            b["priced"] += 1
        if ann_id not in rejected and not is_gold:
            m["accepted"] += 1
            b["accepted"] += 1
    members = []
    for user_id, m in sorted(per.items()):
        profile = profiles.get(user_id)
        cost = m["cost"] if m["priced"] else None
        members.append(
            {
                "user_id": user_id,
                "username": names.get(user_id),
                "labels": m["labels"],
                "accepted": m["accepted"],
                "gold_accuracy": _round(sum(m["gold"]) / len(m["gold"])) if m["gold"] else None,
                "gold_answers": len(m["gold"]),
                "median_seconds": _round(statistics.median(m["ms"]) / 1000.0, 2)
                if m["ms"]
                else None,
                "hourly_rate": None if profile is None else profile.hourly_rate,
                "item_rate": None if profile is None else profile.item_rate,
                "cost": _round(cost, 2),
                "cost_per_accepted_label": _round(cost / m["accepted"])
                if cost is not None and m["accepted"]
                else None,
            }
        )
    batch_rows = [
        {
            "batch_id": batch_id,
            "labels": b["labels"],
            "accepted": b["accepted"],
            "priced_labels": b["priced"],
            "cost": _round(b["cost"], 2) if b["priced"] else None,
            "cost_per_accepted_label": _round(b["cost"] / b["accepted"])
            if b["priced"] and b["accepted"]
            else None,
        }
        for batch_id, b in sorted(batches.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]
    total = sum(m["cost"] for m in per.values() if m["priced"])
    accepted = sum(m["accepted"] for m in per.values())
    return {
        "project_id": project.id,
        "reviews_counted": bool(rejected),
        "members": members,
        "batches": batch_rows,
        "total_cost": _round(total, 2),
        "cost_per_accepted_label": _round(total / accepted) if accepted and total else None,
    }
