"""Team-operations settings of a project, kept in `projects.settings` next to the core ones:
self-check rules and checklist, sensitive fields, import redaction, the automatic
redistribution policy, the batch size limit, the planning defaults and the senior-review flags
an annotator may raise per rolling hour (`senior_review_per_hour`, default 10). (The other WIP limit
beyond annotation, open review tickets per reviewer, is the escalation capability's
`max_open_tickets_per_reviewer` setting.)

Hooks on the hot path read them from the project row they have loaded anyway, so a setting
costs no query there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labelcrew.db.models.core import Project
from labelcrew.domain.teamops import redaction
from labelcrew.domain.teamops.planning import DEFAULT_SECONDS_PER_LABEL, DEFAULT_WEEKLY_HOURS
from labelcrew.domain.work import selfcheck
from labelcrew.errors import ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.uow import Database

REDISTRIBUTION_DEFAULT: dict[str, Any] = {
    "enabled": False,
    "max_items": 20,
    "require_skills": True,
    "horizon_days": 2.0,
    "absence_hours": 24.0,
}
PLANNING_DEFAULT: dict[str, Any] = {
    "default_seconds_per_label": DEFAULT_SECONDS_PER_LABEL,
    "default_weekly_hours": DEFAULT_WEEKLY_HOURS,
    "window_days": 14,
}
DEFAULTS: dict[str, Any] = {
    "selfcheck": [],
    "checklist": [],
    "sensitive_fields": [],
    "redaction": {"kinds": [], "terms": [], "fields": None},
    "redistribution": REDISTRIBUTION_DEFAULT,
    "planning": PLANNING_DEFAULT,
    "batch_size_limit": None,
    # Senior-review flags one annotator may raise per rolling hour: each makes an item hard
    # and queues a review, so an unbounded flood would reroute the whole queue.
    "senior_review_per_hour": 10,
}


def _positive_int_or_none(key: str) -> Callable[[Any], int | None]:
    def parse(raw: Any) -> int | None:
        if raw is None:
            return None
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
            raise ValidationFailed(f"{key} must be a whole number >= 1 or null", field=key)
        return raw

    return parse


def _positive_int(key: str) -> Callable[[Any], int]:
    def parse(raw: Any) -> int:
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
            raise ValidationFailed(f"{key} must be a whole number >= 1", field=key)
        return raw

    return parse


def _numbers(key: str, defaults: dict[str, Any]) -> Callable[[Any], dict[str, Any]]:
    def parse(raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise ValidationFailed(f"{key} must be an object", field=key)
        out = dict(defaults)
        for name, value in raw.items():
            if name not in defaults:
                raise ValidationFailed(f"unknown {key} setting {name!r}", field=f"{key}.{name}")
            want = defaults[name]
            if isinstance(want, bool):
                if not isinstance(value, bool):
                    raise ValidationFailed(
                        f"{key}.{name} must be true or false", field=f"{key}.{name}"
                    )
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValidationFailed(f"{key}.{name} must be a number >= 0", field=f"{key}.{name}")
            out[name] = value
        return out

    return parse


PARSERS: dict[str, Callable[[Any], Any]] = {
    "selfcheck": selfcheck.parse_rules,
    "checklist": selfcheck.parse_checklist,
    "sensitive_fields": redaction.parse_sensitive,
    "redaction": redaction.parse_redaction,
    "redistribution": _numbers("redistribution", REDISTRIBUTION_DEFAULT),
    "planning": _numbers("planning", PLANNING_DEFAULT),
    "batch_size_limit": _positive_int_or_none("batch_size_limit"),
    "senior_review_per_hour": _positive_int("senior_review_per_hour"),
}


def of(project: Project) -> dict[str, Any]:
    """The project's team-operations settings, defaults filled in."""
    stored = project.settings or {}
    return {key: stored.get(key, default) for key, default in DEFAULTS.items()}


def get_settings(db: Database, ref: int | str) -> dict[str, Any]:
    with db.uow(read_only=True) as uow:
        return of(load_project(uow, ref))


def update_settings(
    db: Database, actor: Actor, ref: int | str, values: dict[str, Any]
) -> dict[str, Any]:
    """Replace the given keys (each checked); the others keep their value."""
    clean: dict[str, Any] = {}
    for key, raw in values.items():
        if key not in PARSERS:
            raise ValidationFailed(
                f"unknown team-operations setting {key!r}; one of {sorted(PARSERS)}", field=key
            )
        clean[key] = PARSERS[key](raw)
    with db.uow() as uow:
        project = load_project(uow, ref)
        before = of(project)
        # Reassign (not mutate) so the JSON column is written back.
        project.settings = {**(project.settings or {}), **clean}
        after = of(project)
        audit(
            uow,
            actor_id=actor.user_id,
            action="teamops.settings",
            entity_type="project",
            entity_id=project.id,
            project_id=project.id,
            before={k: before[k] for k in clean},
            after={k: after[k] for k in clean},
        )
        uow.commit()
        return after
