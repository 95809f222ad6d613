"""Builds a small project with a team through the services, for integration tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert

from labelcrew.db.models.core import Item
from labelcrew.services.accounts import users as accounts
from labelcrew.services.accounts.users import Actor
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.projects import projects
from labelcrew.services.uow import Database

SCHEMA: dict[str, Any] = {
    "fields": [
        {
            "name": "sentiment",
            "kind": "single_choice",
            "options": ["positive", "negative", "neutral"],
        },
        {"name": "note", "kind": "text", "required": False, "max_length": 200},
    ]
}
PASSWORD = "correct-horse-9"


@dataclass
class Team:
    project_id: int
    admin: Actor
    lead: Actor
    annotators: list[Actor] = field(default_factory=list)
    others: dict[str, Actor] = field(default_factory=dict)


def user(db: Database, name: str, *, admin: bool = False) -> Actor:
    out = accounts.create_user(db, None, username=name, password=PASSWORD, is_admin=admin)
    return Actor(out.id, out.username, out.is_admin)


def add_items(
    db: Database,
    project_id: int,
    n: int,
    *,
    overlap: int = 1,
    start: int = 0,
    priority: int = 0,
    **extra: Any,
) -> None:
    if n == 0:
        return
    with db.uow() as uow:
        uow.session.execute(
            insert(Item),
            [
                {
                    "project_id": project_id,
                    "external_id": f"x{start + i}",
                    "payload": {"text": f"item number {start + i}"},
                    "priority": priority,
                    "required_skills": [],
                    "overlap_target": overlap,
                    "created_at": uow.now,
                    **extra,
                }
                for i in range(n)
            ],
        )
        uow.commit()


def build(
    db: Database,
    *,
    annotators: int = 2,
    items: int = 10,
    overlap: int = 1,
    guideline: bool = True,
    wip_limit: int = 3,
    schema: dict[str, Any] | None = None,
) -> Team:
    admin = user(db, "admin", admin=True)
    lead = user(db, "lead")
    project = projects.create_project(
        db,
        admin,
        slug="demo",
        name="Demo",
        schema=schema or SCHEMA,
        overlap=overlap,
        wip_limit=wip_limit,
        gold_rate=0.0,
        probation_gold_rate=0.0,
    )
    pid = project["id"]
    projects.set_member(db, admin, pid, username="lead", roles=["lead", "guideline_owner"])
    team = Team(pid, admin, lead)
    for i in range(annotators):
        a = user(db, f"ann{i}")
        projects.set_member(db, admin, pid, username=a.username, roles=["annotator"])
        team.annotators.append(a)
    if guideline:
        guidelines.save_draft(
            db,
            lead,
            pid,
            title="v1",
            body="",
            rules=[{"number": "1.1", "text": "Label the overall sentiment."}],
        )
        guidelines.publish(db, lead, pid, version=1, changelog="first version")
        for a in team.annotators:
            guidelines.acknowledge(db, a, pid, version=1)
    add_items(db, pid, items, overlap=overlap)
    return team
