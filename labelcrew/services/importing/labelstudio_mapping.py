"""What the Label Studio export reads of an import: the project's config mapping and the
e-mail each member had in Label Studio (the interface `releases` uses)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import select

from labelcrew.db.models.core import Project, User
from labelcrew.db.models.predictions import ExternalIdentity
from labelcrew.domain.importing.labelstudio_config import ConfigMapping
from labelcrew.domain.importing.labelstudio_export import mapping_for_schema
from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.errors import ValidationFailed
from labelcrew.services.uow import UnitOfWork

SETTINGS_KEY = "labelstudio"
PROVIDER = "labelstudio"
# labelcrew's own Label Studio export writes `<username>@labelcrew.local` for a member with
# no Label Studio e-mail: importing it back maps to that user.
LOCAL_DOMAIN = "labelcrew.local"


def pairs(rows: Iterable[Any]) -> dict[Any, Any]:
    """A two-column result as a dict (a Result has keys(), so dict() would misread it)."""
    return {key: value for key, value in rows}


def users_by_id(content: bytes) -> dict[str, str]:
    """Label Studio user id -> e-mail, from `GET /api/users` (a list of users, or a page of
    them under `results`) or a plain {"id": "email"} object."""
    try:
        raw = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed(f"the users file is not JSON: {exc}", field="annotators") from None
    if isinstance(raw, dict) and isinstance(raw.get("results"), list):
        raw = raw["results"]
    if isinstance(raw, list):
        return {
            str(u["id"]): str(u["email"]) for u in raw if isinstance(u, dict) and u.get("email")
        }
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    raise ValidationFailed(
        "the users file must be a list of users or an object", field="annotators"
    )


def stored_mapping(project: Project) -> ConfigMapping | None:
    raw = (project.settings or {}).get(SETTINGS_KEY)
    return None if raw is None else ConfigMapping.from_dict(raw)


def mapping_of(project: Project, schema: LabelSchema) -> ConfigMapping:
    """The imported config's mapping while it still describes the schema, else one built
    from the schema."""
    stored = stored_mapping(project)
    if stored is not None and [c.field for c in stored.controls] == [f.name for f in schema.fields]:
        try:
            if stored.schema() == schema:
                return stored
        except ValidationFailed:
            pass
    return mapping_for_schema(schema)


def people(uow: UnitOfWork, user_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """user id -> (e-mail, display name); `<username>@labelcrew.local` without an e-mail."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    emails = pairs(
        uow.session.execute(
            select(ExternalIdentity.user_id, ExternalIdentity.key).where(
                ExternalIdentity.provider == PROVIDER, ExternalIdentity.user_id.in_(wanted)
            )
        )
    )
    out = {}
    for user_id, username, name in uow.session.execute(
        select(User.id, User.username, User.display_name).where(User.id.in_(wanted))
    ):
        email = emails.get(user_id) or f"{username}@{LOCAL_DOMAIN}"
        out[int(user_id)] = (email, "" if name in (email, username) else name)
    return out
