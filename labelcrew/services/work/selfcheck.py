"""Self-check before submit: the project's rules beyond the schema and its checklist, checked
inside the submit's unit of work right after schema validation (no query: the rules live in
the project row submit has loaded)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labelcrew.db.models.core import Project
from labelcrew.domain.work import selfcheck
from labelcrew.errors import ValidationFailed
from labelcrew.services.projects.projects import load_project
from labelcrew.services.teamops import settings as teamops_settings
from labelcrew.services.uow import Database
from labelcrew.services.work.rows import ProjectRow


def before_submit(
    project: Project | ProjectRow, value: dict[str, Any], checklist: Sequence[str] | None
) -> None:
    """Raise ValidationFailed (422) naming the broken rule and field, or the unticked entries."""
    settings = project.settings or {}
    rules = settings.get("selfcheck") or []
    items = settings.get("checklist") or []
    if not rules and not items:
        return
    missing = selfcheck.unticked(items, checklist)
    if missing:
        raise ValidationFailed(
            f"tick every required checklist entry before you submit: {', '.join(missing)}",
            code="checklist_incomplete",
            field="checklist",
            details={"unticked": missing},
        )
    broken = selfcheck.check(rules, value)
    if broken:
        first = broken[0]
        raise ValidationFailed(
            f"self-check rule {first.rule!r}: {first.message}",
            code="selfcheck_failed",
            field=f"value.{first.field}",
            details={"violations": [v.to_dict() for v in broken]},
        )


def for_annotators(db: Database, ref: int | str) -> dict[str, Any]:
    """What an annotator sees before submitting: the rules and the checklist."""
    with db.uow(read_only=True) as uow:
        settings = teamops_settings.of(load_project(uow, ref))
        return {"rules": settings["selfcheck"], "checklist": settings["checklist"]}
