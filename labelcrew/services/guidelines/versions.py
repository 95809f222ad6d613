"""Versioned guidelines with numbered rules, a changelog on publish, and acknowledgement."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import GuidelineRule, GuidelineVersion, Member, Project
from labelcrew.errors import Conflict, Forbidden, NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.uow import Database, UnitOfWork

RULE_NUMBER = re.compile(r"^\d+(\.\d+)*$")


def _rule_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split("."))


def clean_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    clean = []
    for i, rule in enumerate(rules):
        number = str(rule.get("number", "")).strip()
        if not RULE_NUMBER.match(number):
            raise ValidationFailed(
                f"rule number {number!r} must look like '4' or '4.2'", field=f"rules[{i}].number"
            )
        if number in seen:
            raise ValidationFailed(f"rule {number} appears twice", field=f"rules[{i}].number")
        seen.add(number)
        text = str(rule.get("text", "")).strip()
        if not text:
            raise ValidationFailed(f"rule {number} has no text", field=f"rules[{i}].text")
        examples = rule.get("examples") or []
        if not isinstance(examples, list):
            raise ValidationFailed("examples must be a list", field=f"rules[{i}].examples")
        clean.append(
            {
                "number": number,
                "title": str(rule.get("title", "")),
                "text": text,
                "examples": examples,
            }
        )
    return sorted(clean, key=lambda r: _rule_key(r["number"]))


def version_dict(uow: UnitOfWork, v: GuidelineVersion) -> dict[str, Any]:
    rules = uow.session.scalars(
        select(GuidelineRule).where(GuidelineRule.guideline_version_id == v.id)
    ).all()
    return {
        "version": v.version,
        "status": v.status,
        "title": v.title,
        "body": v.body,
        "changelog": v.changelog,
        "published_at": v.published_at.isoformat() if v.published_at else None,
        "rules": sorted(
            (
                {"number": r.number, "title": r.title, "text": r.text, "examples": r.examples}
                for r in rules
            ),
            key=lambda r: _rule_key(r["number"]),
        ),
    }


def _version(uow: UnitOfWork, project_id: int, version: int) -> GuidelineVersion:
    row = uow.session.scalar(
        select(GuidelineVersion).where(
            GuidelineVersion.project_id == project_id, GuidelineVersion.version == version
        )
    )
    if row is None:
        raise NotFound(
            f"no guideline version {version}", code="guideline_not_found", field="version"
        )
    return row


def save_draft(
    db: Database,
    actor: Actor,
    ref: int | str,
    *,
    title: str,
    body: str,
    rules: list[dict[str, Any]],
) -> dict[str, Any]:
    """Create the next draft, or replace the open draft; published versions never change."""
    clean = clean_rules(rules)
    with db.uow() as uow:
        project = load_project(uow, ref)
        draft = uow.session.scalar(
            select(GuidelineVersion).where(
                GuidelineVersion.project_id == project.id, GuidelineVersion.status == "draft"
            )
        )
        if draft is None:
            last = uow.session.scalar(
                select(GuidelineVersion.version)
                .where(GuidelineVersion.project_id == project.id)
                .order_by(GuidelineVersion.version.desc())
                .limit(1)
            )
            draft = GuidelineVersion(
                project_id=project.id,
                version=(last or 0) + 1,
                status="draft",
                created_by=actor.user_id,
                created_at=uow.now,
            )
            uow.session.add(draft)
            uow.session.flush()
        else:
            for old in uow.session.scalars(
                select(GuidelineRule).where(GuidelineRule.guideline_version_id == draft.id)
            ):
                uow.session.delete(old)
            uow.session.flush()
        draft.title, draft.body = title, body
        for rule in clean:
            uow.session.add(GuidelineRule(guideline_version_id=draft.id, **rule))
        uow.session.flush()
        result = version_dict(uow, draft)
        audit(
            uow,
            actor_id=actor.user_id,
            action="guideline.save_draft",
            entity_type="guideline_version",
            entity_id=draft.version,
            project_id=project.id,
            after={"version": draft.version, "rules": [r["number"] for r in clean]},
        )
        uow.commit()
        return result


def publish(
    db: Database, actor: Actor, ref: int | str, *, version: int, changelog: str
) -> dict[str, Any]:
    with db.uow() as uow:
        result = publish_in(
            uow, actor, load_project(uow, ref), version=version, changelog=changelog
        )
        uow.commit()
        return result


def publish_in(
    uow: UnitOfWork, actor: Actor, project: Project, *, version: int, changelog: str
) -> dict[str, Any]:
    """Publish inside the caller's unit of work (which commits), so a revision can queue its
    relabels in the same transaction (`labelcrew.services.guidelines.relabel.publish_revision`)."""
    if not changelog.strip():
        raise ValidationFailed("publishing needs a changelog entry", field="changelog")
    draft = _version(uow, project.id, version)
    if draft.status != "draft":
        raise Conflict(
            f"guideline version {version} is already published",
            code="already_published",
            field="version",
        )
    if not version_dict(uow, draft)["rules"]:
        raise ValidationFailed("a guideline needs at least one rule", field="rules")
    draft.status, draft.changelog = "published", changelog.strip()
    draft.published_at, draft.published_by = uow.now, actor.user_id
    before = project.guideline_version
    project.guideline_version = version
    audit(
        uow,
        actor_id=actor.user_id,
        action="guideline.publish",
        entity_type="guideline_version",
        entity_id=version,
        project_id=project.id,
        before={"current": before},
        after={"current": version, "changelog": changelog},
    )
    emit(
        uow,
        project_id=project.id,
        event_type="guideline.published",
        payload={"project_id": project.id, "version": version, "changelog": changelog},
    )
    return version_dict(uow, draft)


def get_version(db: Database, ref: int | str, version: int | None = None) -> dict[str, Any]:
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        wanted = version or project.guideline_version
        if wanted is None:
            raise NotFound(
                "this project has no published guideline yet",
                code="guideline_not_found",
                field="version",
            )
        return version_dict(uow, _version(uow, project.id, wanted))


def list_versions(db: Database, ref: int | str) -> list[dict[str, Any]]:
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        rows = uow.session.scalars(
            select(GuidelineVersion)
            .where(GuidelineVersion.project_id == project.id)
            .order_by(GuidelineVersion.version)
        )
        return [
            {
                "version": v.version,
                "status": v.status,
                "title": v.title,
                "changelog": v.changelog,
                "published_at": v.published_at.isoformat() if v.published_at else None,
            }
            for v in rows
        ]


def acknowledge(db: Database, actor: Actor, ref: int | str, *, version: int) -> dict[str, Any]:
    with db.uow() as uow:
        project = load_project(uow, ref)
        if project.guideline_version != version:
            raise Conflict(
                f"version {version} is not the current guideline (current: "
                f"{project.guideline_version})",
                code="not_current_guideline",
                field="version",
            )
        member = uow.session.scalar(
            select(Member).where(Member.project_id == project.id, Member.user_id == actor.user_id)
        )
        if member is None:
            raise Forbidden("only project members acknowledge guidelines", code="not_a_member")
        before = member.acknowledged_guideline_version
        member.acknowledged_guideline_version, member.acknowledged_at = version, uow.now
        audit(
            uow,
            actor_id=actor.user_id,
            action="guideline.acknowledge",
            entity_type="member",
            entity_id=member.id,
            project_id=project.id,
            before={"acknowledged": before},
            after={"acknowledged": version},
        )
        uow.commit()
        return {"acknowledged_guideline_version": version, "at": uow.now.isoformat()}
