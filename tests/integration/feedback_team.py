"""A project with overlap, a reviewer, QA and a guideline with rules 1.1 and 4.2, for the
feedback-loop tests (review, comments, escalations)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from labelcrew.app import create_app
from labelcrew.db.models.core import OutboxEvent
from labelcrew.services.accounts import users as accounts
from labelcrew.services.accounts.users import Actor
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.projects import projects
from labelcrew.services.review import feedback_settings as feedback_common
from labelcrew.services.uow import Database
from labelcrew.services.work import assignment, submission
from tests.integration.team import Team, build, user

RULES = [
    {"number": "1.1", "text": "Label the overall sentiment."},
    {"number": "4.2", "text": "Sarcasm counts as negative."},
]


def feedback_team(
    db: Database, *, annotators: int = 2, items: int = 4, overlap: int = 2, audit_rate: float = 0.0
) -> Team:
    team = build(db, annotators=annotators, items=items, overlap=overlap)
    pid = team.project_id
    guidelines.save_draft(db, team.lead, pid, title="v2", body="", rules=RULES)
    guidelines.publish(db, team.lead, pid, version=2, changelog="sarcasm rule")
    for a in team.annotators:
        guidelines.acknowledge(db, a, pid, version=2)
    for name, roles in (("rev", ["reviewer"]), ("rev2", ["reviewer"]), ("qa", ["qa"])):
        team.others[name] = user(db, name)
        projects.set_member(db, team.admin, pid, username=name, roles=roles)
    feedback_common.update_settings(
        db,
        team.admin,
        pid,
        review_policy={"audit_rate": audit_rate, "probation_audit_rate": audit_rate},
    )
    return team


def label(db: Database, actor: Actor, pid: int, sentiment: str) -> int:
    """The annotator takes their next item and labels it; returns the item id."""
    lease = assignment.next_item(db, actor, pid)
    item_id = int(lease["item"]["id"])
    submission.submit(db, actor, pid, item_id, {"sentiment": sentiment}, idempotency_key=None)
    return item_id


def client(db: Database, actor: Actor) -> TestClient:
    c = TestClient(create_app(db=db))
    c.headers["Authorization"] = f"Bearer {accounts.issue_token(db, None, user_id=actor.user_id)}"
    return c


def events(db: Database, event_type: str) -> list[dict[str, Any]]:
    with db.uow(read_only=True) as uow:
        return [
            dict(p)
            for p in uow.session.scalars(
                select(OutboxEvent.payload)
                .where(OutboxEvent.event_type == event_type)
                .order_by(OutboxEvent.id)
            )
        ]
