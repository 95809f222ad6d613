"""`labelcrew serve --demo` seeds a project a lead can look around in: the README's first
command depends on it, so it is tested on both backends (with a smaller queue)."""

from __future__ import annotations

from sqlalchemy import func, select

from labelcrew.db.models.core import Annotation
from labelcrew.db.models.quality import QualitySnapshot
from labelcrew.demo import sentiment as demo
from labelcrew.services.accounts.users import check_password
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.metrics import dashboard as metrics
from labelcrew.services.metrics.weekly import snapshot as weekly
from labelcrew.services.projects import batches, projects


def test_demo_seed_builds_a_project_with_a_team_and_history(db):
    summary = demo.seed(db, items_count=60, history_days=2)
    assert summary == {"project": demo.SLUG, "admin": "admin", "password": demo.PASSWORD}
    assert demo.seed(db, items_count=60) == summary  # a second start reuses the demo
    pid = projects.get_project(db, demo.SLUG)["id"]
    members = {m["username"]: m for m in projects.list_members(db, pid)}
    assert set(demo.TEAM) <= set(members)
    assert check_password(db, "ana", demo.PASSWORD).username == "ana"
    assert guidelines.get_version(db, pid)["version"] == 1
    assert len(batches.list_batches(db, pid)) >= 2
    with db.uow(read_only=True) as uow:
        labels = uow.session.scalar(select(func.count()).select_from(Annotation))
        days = uow.session.scalars(
            select(QualitySnapshot.at).where(
                QualitySnapshot.project_id == pid, QualitySnapshot.metric == "alpha"
            )
        ).all()
    assert labels >= 60
    assert len({d.date() for d in days}) >= 2  # an agreement trend, not a single point
    figures = metrics.project_metrics(db, pid)
    assert figures["labels"] >= 60 and figures["gold_answers"] > 0
    assert 0 < figures["members_active"] <= 5
    assert weekly.weekly_snapshot(db, pid)
