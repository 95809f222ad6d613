"""Review figures for the metrics: correction rate and error tags per annotator, per label,
per rule. `labelcrew.services.review.reviews.feedback_stats` is the public name."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Annotation, User
from labelcrew.db.models.feedback import Review
from labelcrew.services.projects.projects import load_project
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.review.feedback_settings import aware
from labelcrew.services.uow import Database

Rows = list[tuple[str, list[str]]]


def _tally(rows: Rows) -> dict[str, Any]:
    verdicts = Counter(v for v, _ in rows)
    tags = Counter(t for _, ts in rows for t in ts)
    n = len(rows)
    return {
        "reviews": n,
        "accepted": verdicts["accept"],
        "corrected": verdicts["correct"],
        "rejected": verdicts["reject"],
        "correction_rate": (verdicts["correct"] + verdicts["reject"]) / n if n else None,
        "tags": dict(tags.most_common()),
    }


def feedback_stats(
    db: Database, project_id: int, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """Review figures over reviews created in [since, until) (both optional).

    Returns `{"project_id", "since", "until", **totals, "per_annotator": [...],
    "per_label": [...], "per_rule": [...]}` where totals and every row carry `reviews`,
    `accepted`, `corrected`, `rejected`, `correction_rate` ((corrected + rejected) / reviews,
    None without reviews) and `tags` ({error tag code: count}, most frequent first). Rows add
    their key: `annotator_id` and `username`; `label` (the annotator's value of the schema's
    primary field, as a string; "" when there is no such field); `rule` (a cited rule number:
    a review citing two rules counts in both). Rows are sorted by reviews, most first.
    For Pareto charts it also returns plain counts of errors (corrected or rejected reviews):
    `by_tag` ({tag: count}, over every review), `by_rule`, `by_label` and `by_member`
    ({username: count}).
    """
    since, until = aware(since), aware(until)
    with db.uow(read_only=True) as uow:
        project = load_project(uow, project_id)
        primary = None
        if project.schema_version is not None:
            field = schema_for(uow, project.id, project.schema_version).primary_field
            primary = field.name if field else None
        query = (
            select(Review.verdict, Review.error_tags, Review.rule_refs, Review.annotator_id)
            .add_columns(Annotation.value, User.username)
            .join(Annotation, Annotation.id == Review.annotation_id)
            .join(User, User.id == Review.annotator_id)
            .where(Review.project_id == project.id)
        )
        if since is not None:
            query = query.where(Review.created_at >= since)
        if until is not None:
            query = query.where(Review.created_at < until)
        rows = uow.session.execute(query).all()
    every: Rows = []
    by_annotator: dict[tuple[int, str], Rows] = defaultdict(list)
    by_label: dict[str, Rows] = defaultdict(list)
    by_rule: dict[str, Rows] = defaultdict(list)
    for verdict, tags, refs, annotator_id, value, username in rows:
        entry = (verdict, list(tags))
        every.append(entry)
        by_annotator[(annotator_id, username)].append(entry)
        label = value.get(primary) if primary else None
        by_label["" if label is None else str(label)].append(entry)
        for rule in refs:
            by_rule[rule].append(entry)

    def table(groups: dict[Any, Rows], key: Any) -> list[dict[str, Any]]:
        out = [{**key(k), **_tally(v)} for k, v in groups.items()]
        return sorted(out, key=lambda r: -r["reviews"])

    def errors(groups: dict[Any, Rows], name: Any) -> dict[str, int]:
        counts = {name(k): sum(1 for v, _ in rows if v != "accept") for k, rows in groups.items()}
        return {k: n for k, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n}

    totals = _tally(every)
    return {
        "project_id": project_id,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        **totals,
        "by_tag": totals["tags"],
        "by_rule": errors(by_rule, str),
        "by_label": errors(by_label, str),
        "by_member": errors(by_annotator, lambda k: k[1]),
        "per_annotator": table(by_annotator, lambda k: {"annotator_id": k[0], "username": k[1]}),
        "per_label": table(by_label, lambda k: {"label": k}),
        "per_rule": table(by_rule, lambda k: {"rule": k}),
    }
