"""The demo project behind `labelcrew serve --demo`: a schema, guidelines, a team of eight and a
few days of simulated history, all made through the same services the API uses."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert, select

from labelcrew.db.models.core import Item, Project
from labelcrew.demo import teamops as teamops_demo
from labelcrew.errors import Forbidden, NotFound
from labelcrew.services.accounts import users as accounts
from labelcrew.services.accounts.users import Actor
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.projects import batches, items, projects
from labelcrew.services.quality import measures as quality
from labelcrew.services.uow import Database
from labelcrew.services.work import assignment, submission
from labelcrew.sim.annotators import make_team

SLUG = "demo-sentiment"
PASSWORD = "labelcrew-demo"
OPTIONS = ["positive", "negative", "neutral"]
SCHEMA: dict[str, Any] = {
    "fields": [
        {
            "name": "sentiment",
            "kind": "single_choice",
            "options": OPTIONS,
            "description": "Overall sentiment of the review",
        },
        {"name": "rationale", "kind": "text", "required": False, "max_length": 500},
    ]
}
RULES: list[dict[str, Any]] = [
    {
        "number": "1.1",
        "title": "Overall sentiment",
        "text": "Label the sentiment of the review as a whole, not of single sentences.",
    },
    {
        "number": "1.2",
        "title": "Mixed reviews",
        "text": "When praise and complaint balance out, choose neutral.",
    },
    {
        "number": "2.1",
        "title": "Sarcasm",
        "text": "Sarcastic praise ('great, it broke again') is negative.",
        "examples": ["Great, another update that deletes my files."],
    },
    {
        "number": "3.1",
        "title": "Off-topic",
        "text": "A review that says nothing about the product is neutral.",
    },
]
TEAM = {
    "lead": ["lead"],
    "olga": ["guideline_owner", "reviewer"],
    "rui": ["reviewer", "qa"],
    "ana": ["annotator"],
    "ben": ["annotator"],
    "chen": ["annotator"],
    "dara": ["annotator"],
    "eli": ["annotator"],
}
PHRASES = {
    "positive": [
        "works perfectly",
        "love the battery",
        "fast delivery and great quality",
        "exceeded my expectations",
        "would buy again",
    ],
    "negative": [
        "broke after two days",
        "great, it stopped working again",
        "support never answered",
        "arrived damaged",
        "not worth the price",
    ],
    "neutral": [
        "it is a phone case",
        "arrived on Tuesday",
        "good screen but weak battery",
        "bought it for my brother",
        "does what the box says",
    ],
}


def _texts(rng: random.Random, n: int) -> list[tuple[str, str]]:
    out = []
    for _ in range(n):
        label = rng.choice(OPTIONS)
        out.append(
            (
                label,
                f"{rng.choice(PHRASES[label]).capitalize()}. "
                f"{rng.choice(PHRASES[label]).capitalize()}.",
            )
        )
    return out


def seed(
    db: Database, *, items_count: int = 240, history_days: int = 4, seed_value: int = 1
) -> dict[str, Any]:
    """Create the demo once; later calls only report where it is."""
    summary = {"project": SLUG, "admin": "admin", "password": PASSWORD}
    with db.uow(read_only=True) as uow:
        if uow.session.scalar(select(Project.id).where(Project.slug == SLUG)) is not None:
            return summary
    rng = random.Random(seed_value)
    try:
        admin = accounts.get_user_by_name(db, "admin")
        actor = Actor(admin.id, admin.username, True)
    except NotFound:
        out = accounts.create_user(db, None, username="admin", password=PASSWORD, is_admin=True)
        actor = Actor(out.id, out.username, True)
    project = projects.create_project(
        db,
        actor,
        slug=SLUG,
        name="Product review sentiment",
        schema=SCHEMA,
        overlap=2,
        gold_rate=0.08,
        lease_seconds=600,
    )
    pid = project["id"]
    people: dict[str, Actor] = {}
    for name, roles in TEAM.items():
        out = accounts.create_user(
            db, actor, username=name, password=PASSWORD, display_name=name.capitalize()
        )
        people[name] = Actor(out.id, out.username, False)
        projects.set_member(db, actor, pid, username=name, roles=roles)
    owner = people["olga"]
    guidelines.save_draft(
        db,
        owner,
        pid,
        title="Sentiment guideline",
        rules=RULES,
        body="Read the whole review before you choose.",
    )
    guidelines.publish(db, owner, pid, version=1, changelog="First version: rules 1.1-3.1.")
    truth = _seed_items(db, pid, rng, items_count)
    for name in ("reviewer-a", "reviewer-b"):
        batches.create_batch(db, actor, pid, name=name, owner="rui")
    # Gold at random (seeded) positions among the items: the lowest ids would give it away.
    gold_ids = sorted(rng.sample(sorted(truth), min(12, len(truth))))
    for item_id in gold_ids:
        items.set_gold(db, actor, pid, item_id, value={"sentiment": truth[item_id]}, rule="1.1")
    _simulate(db, pid, people, truth, history_days, seed_value)
    teamops_demo.seed_teamops(db, pid)
    return summary


def _seed_items(db: Database, pid: int, rng: random.Random, n: int) -> dict[int, str]:
    texts = _texts(rng, n)
    with db.uow() as uow:
        uow.session.execute(
            insert(Item),
            [
                {
                    "project_id": pid,
                    "external_id": f"review-{i:04d}",
                    "payload": {"text": text},
                    "priority": 1 if i < 40 else 0,
                    "required_skills": [],
                    "overlap_target": 2,
                    "created_at": uow.now,
                }
                for i, (_, text) in enumerate(texts)
            ],
        )
        ids = list(
            uow.session.scalars(select(Item.id).where(Item.project_id == pid).order_by(Item.id))
        )
        uow.commit()
    return {item_id: label for item_id, (label, _) in zip(ids, texts, strict=True)}


def _simulate(
    db: Database,
    pid: int,
    people: dict[str, Actor],
    truth: dict[int, str],
    days: int,
    seed_value: int,
) -> None:
    """Label about two thirds of the queue over the past days with simulated annotators."""
    names = [n for n, roles in TEAM.items() if "annotator" in roles]
    team = make_team(len(names), 1, 0, len(OPTIONS), np.random.default_rng(seed_value))
    start = db.clock() - timedelta(days=days)
    moments = {"now": start}
    past = Database(db.engine, clock=lambda: moments["now"], rng=random.Random(seed_value))
    for name in names:
        guidelines.acknowledge(past, people[name], pid, version=1)
    gen = np.random.default_rng(seed_value)
    budget = int(len(truth) * 2 * 2 / 3)
    step = timedelta(days=days) / max(budget, 1)
    per_day = max(budget // max(days * 2, 1), 1)
    for turn in range(budget):
        k = turn % len(names)
        who, sim = people[names[k]], team[k]
        try:
            lease = assignment.next_item(past, who, pid)
        except (NotFound, Forbidden):  # queue drained, or the member was paused by the rules
            continue
        moments["now"] += timedelta(seconds=float(sim.seconds(gen)))
        item_id = lease["item"]["id"]
        label = OPTIONS[sim.answer(OPTIONS.index(truth[item_id]), gen)]
        submission.submit(
            past, who, pid, item_id, {"sentiment": label}, idempotency_key=f"demo-{turn}"
        )
        moments["now"] = max(moments["now"], start + step * turn)
        if turn % per_day == per_day - 1:  # the hourly quality scan, as of that simulated day
            quality.measure_agreement(past, pid)
