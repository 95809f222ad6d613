"""Dataset releases: publish an immutable, content-hashed version of a project's labels, read
its manifest, compare two releases.

A release freezes one row per non-gold item (the rules are in `releases_rows`) and a manifest:
counts, exclusions by reason, label distribution, agreement (`labelcrew.domain.quality.agreement.summary.summarize`
over the live labels on the primary field), the guideline changelog since the previous release,
the method and the SHA-256 content hash. Rows and header are written once and never updated:
the database refuses UPDATE and DELETE on both tables (migration ``0006_releases``).

Who may do what (`labelcrew.domain.permissions`): leads and admins create and export
(``release.create``, ``export``); every member reads the list, the manifest, the exclusion list
and the hash check (``release.read``: these carry counts and reasons, never an item's label);
staff (reviewers, QA, leads, guideline owners) read diffs (``release.diff``: they show labels).
Exports live in `releases_export` and are audited one by one.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import insert, select

from labelcrew.db.models.releases import Release, ReleaseItem
from labelcrew.domain.releases.rows import (
    HASHED,
    HASHED_WHEN_SET,
    METHODS,
    build_rows,
    content_hash,
    diff_rows,
)
from labelcrew.errors import Conflict, NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.releases.inputs import build_manifest, gather
from labelcrew.services.uow import Database, UnitOfWork

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


# The manifest keys the content hash covers (`field_methods` since per-field releases).
DEFINITION = ("field", "categories", "method", "estimator", "min_confidence", "field_methods")


def _check(name: str, method: str, min_confidence: float | None) -> None:
    if not NAME.match(name or ""):
        raise ValidationFailed(
            f"release name {name!r} must be 1-80 letters, digits, '.', '_' or '-'",
            field="name",
            code="bad_release_name",
        )
    if method not in METHODS:
        raise ValidationFailed(
            f"method {method!r} is not one of {', '.join(METHODS)}", field="method"
        )
    if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
        raise ValidationFailed(
            f"min_confidence must be between 0 and 1, got {min_confidence}",
            field="min_confidence",
        )


def release_summary(r: Release) -> dict[str, Any]:
    return {
        "name": r.name,
        "number": r.number,
        "method": r.method,
        "min_confidence": r.min_confidence,
        "field": r.field or None,
        "content_hash": r.content_hash,
        "included": r.included,
        "excluded": r.excluded,
        "created_by": r.created_by,
        "created_at": r.created_at.isoformat(),
    }


def release_dict(r: Release) -> dict[str, Any]:
    return {**release_summary(r), "manifest": r.manifest}


def create_release(
    db: Database,
    actor: Actor,
    ref: int | str,
    *,
    name: str,
    method: str = "ds",
    min_confidence: float | None = None,
) -> dict[str, Any]:
    """Publish release ``name``: freeze every non-gold item's final label (or why it is out),
    the manifest and the content hash; audit it and emit ``release.published``."""
    _check(name, method, min_confidence)
    with db.uow() as uow:
        project = load_project(uow, ref)
        taken = uow.session.scalar(
            select(Release.id).where(Release.project_id == project.id, Release.name == name)
        )
        if taken is not None:
            raise Conflict(
                f"release {name!r} already exists; releases never change, pick a new name",
                code="release_exists",
                field="name",
            )
        previous = uow.session.scalar(
            select(Release)
            .where(Release.project_id == project.id)
            .order_by(Release.number.desc())
            .limit(1)
        )
        data = gather(uow, project)
        rows, methods = build_rows(data, method=method, min_confidence=min_confidence)
        definition = {
            "field": data.field,
            "categories": list(data.categories),
            "method": method,
            "estimator": methods[data.field] if data.field else None,
            "min_confidence": min_confidence,
            "field_methods": methods,
        }
        manifest = build_manifest(uow, project, data, rows, definition, previous)
        digest = content_hash(definition, rows)
        manifest["content_hash"] = digest
        release = Release(
            project_id=project.id,
            number=(previous.number if previous else 0) + 1,
            name=name,
            method=method,
            min_confidence=min_confidence,
            field=data.field or "",  # "" when the schema has no single-choice field
            content_hash=digest,
            included=manifest["counts"]["included"],
            excluded=manifest["counts"]["excluded"],
            manifest=manifest,
            created_by=actor.user_id,
            created_at=uow.now,
        )
        uow.session.add(release)
        uow.session.flush()
        if rows:
            uow.session.execute(
                insert(ReleaseItem), [{"release_id": release.id, **row} for row in rows]
            )
        counts = manifest["counts"]
        audit(
            uow,
            actor_id=actor.user_id,
            action="release.create",
            entity_type="release",
            entity_id=release.id,
            project_id=project.id,
            after={"name": name, "method": method, "content_hash": digest, "counts": counts},
        )
        emit(
            uow,
            project_id=project.id,
            event_type="release.published",
            payload={
                "project_id": project.id,
                "release": name,
                "number": release.number,
                "content_hash": digest,
                "included": counts["included"],
                "excluded": counts["excluded"],
            },
        )
        result = release_dict(release)
        uow.commit()
        return result


def load_release(uow: UnitOfWork, project_id: int, name: str) -> Release:
    release = uow.session.scalar(
        select(Release).where(Release.project_id == project_id, Release.name == name)
    )
    if release is None:
        raise NotFound(f"no release {name!r}", code="release_not_found", field="release")
    return release


def release_rows(
    uow: UnitOfWork, release: Release, *, included_only: bool = False
) -> list[dict[str, Any]]:
    query = select(ReleaseItem).where(ReleaseItem.release_id == release.id)
    if included_only:
        query = query.where(ReleaseItem.included.is_(True))
    return [
        {key: getattr(r, key) for key in (*HASHED, *HASHED_WHEN_SET)}
        for r in uow.session.scalars(query.order_by(ReleaseItem.item_id))
    ]


def list_releases(db: Database, ref: int | str) -> list[dict[str, Any]]:
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        return [
            release_summary(r)
            for r in uow.session.scalars(
                select(Release).where(Release.project_id == project.id).order_by(Release.number)
            )
        ]


def get_release(db: Database, ref: int | str, name: str) -> dict[str, Any]:
    """The release notes: header and manifest (no labels)."""
    with db.uow(read_only=True) as uow:
        return release_dict(load_release(uow, load_project(uow, ref).id, name))


def excluded_items(db: Database, ref: int | str, name: str) -> list[dict[str, Any]]:
    """Every item the release left out, with the reason and the evidence (no label)."""
    with db.uow(read_only=True) as uow:
        release = load_release(uow, load_project(uow, ref).id, name)
        return [
            {
                "item_id": r.item_id,
                "external_id": r.external_id,
                "reason": r.reason,
                "reason_field": r.reason_field,
                "n_labels": r.n_labels,
                "confidence": r.confidence,
            }
            for r in uow.session.scalars(
                select(ReleaseItem)
                .where(ReleaseItem.release_id == release.id, ReleaseItem.included.is_(False))
                .order_by(ReleaseItem.item_id)
            )
        ]


def verify_release(db: Database, ref: int | str, name: str) -> dict[str, Any]:
    """Recompute the content hash from the stored rows: proof that nothing changed."""
    with db.uow(read_only=True) as uow:
        release = load_release(uow, load_project(uow, ref).id, name)
        definition = {k: release.manifest[k] for k in DEFINITION if k in release.manifest}
        recomputed = content_hash(definition, release_rows(uow, release))
        return {
            "name": release.name,
            "content_hash": release.content_hash,
            "recomputed": recomputed,
            "ok": recomputed == release.content_hash,
        }


def diff_releases(db: Database, ref: int | str, old: str, new: str) -> dict[str, Any]:
    """Labels added, removed and changed from release ``old`` to release ``new``, with reasons."""
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        a, b = load_release(uow, project.id, old), load_release(uow, project.id, new)
        result = diff_rows(release_rows(uow, a), release_rows(uow, b))
        return {
            "from": {"name": a.name, "content_hash": a.content_hash, "method": a.method},
            "to": {"name": b.name, "content_hash": b.content_hash, "method": b.method},
            "same_content": a.content_hash == b.content_hash,
            **result,
        }


def previous_name(db: Database, ref: int | str, name: str) -> str:
    """The release published just before ``name`` (what a diff compares with by default)."""
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        release = load_release(uow, project.id, name)
        before = uow.session.scalar(
            select(Release.name)
            .where(Release.project_id == project.id, Release.number < release.number)
            .order_by(Release.number.desc())
            .limit(1)
        )
        if before is None:
            raise NotFound(
                f"release {name!r} is the first one; name the release to compare with",
                code="no_previous_release",
                field="base",
            )
        return before
