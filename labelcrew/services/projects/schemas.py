"""A project's label schema at one version, parsed once per distinct definition.

Submit, review, import, calibration, quality, metrics and releases all validate or read
values against the schema a label was made under; they read it here (it used to live in the
submit module, which ten other services imported for it)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import select

from labelcrew.db.models.core import LabelSchemaVersion
from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.errors import NotFound
from labelcrew.services.uow import UnitOfWork


@lru_cache(maxsize=256)
def _parsed(definition_json: bytes) -> LabelSchema:
    return LabelSchema.parse(orjson.loads(definition_json))


def parsed_definition(definition: dict[str, Any] | None, version: int) -> LabelSchema:
    """The parsed schema of a stored definition (the hot path reads the row itself)."""
    if definition is None:
        raise NotFound(f"schema version {version} is missing", code="schema_not_found")
    return _parsed(orjson.dumps(definition, option=orjson.OPT_SORT_KEYS))


def schema_for(uow: UnitOfWork, project_id: int, version: int) -> LabelSchema:
    definition = uow.session.scalar(
        select(LabelSchemaVersion.definition).where(
            LabelSchemaVersion.project_id == project_id, LabelSchemaVersion.version == version
        )
    )
    return parsed_definition(definition, version)
