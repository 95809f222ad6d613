"""What the annotator workspace shows beside a lease: the label schema the item was served
under and the rules of the guideline version the annotator works under.

One read-only unit of work of unique-index lookups, whatever the size of the project. The page
used to read these through `projects.get_schema` and `guidelines.get_version`: two units of work,
the project loaded twice, and a count of every annotation under the schema version (to report
whether the schema is locked), which grows with the project and which the page never shows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import GuidelineRule, GuidelineVersion, LabelSchemaVersion
from labelcrew.errors import NotFound
from labelcrew.services.uow import Database


def _rule_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split("."))


def lease_view(
    db: Database, project_id: int, schema_version: int, guideline_version: int | None
) -> dict[str, Any]:
    """`{"definition": <schema definition>, "rules": [{number, title, text, examples}]}`, the
    rules in rule-number order (none when the project has no published guideline)."""
    with db.uow(read_only=True) as uow:
        definition = uow.session.scalar(
            select(LabelSchemaVersion.definition).where(
                LabelSchemaVersion.project_id == project_id,
                LabelSchemaVersion.version == schema_version,
            )
        )
        if definition is None:
            raise NotFound(
                f"project {project_id} has no schema version {schema_version}",
                code="schema_not_found",
                field="version",
            )
        rules: list[dict[str, Any]] = []
        if guideline_version is not None:
            rows = uow.session.execute(
                select(
                    GuidelineRule.number,
                    GuidelineRule.title,
                    GuidelineRule.text,
                    GuidelineRule.examples,
                )
                .join(GuidelineVersion, GuidelineVersion.id == GuidelineRule.guideline_version_id)
                .where(
                    GuidelineVersion.project_id == project_id,
                    GuidelineVersion.version == guideline_version,
                )
            )
            rules = [
                {"number": r.number, "title": r.title, "text": r.text, "examples": r.examples}
                for r in rows
            ]
    return {"definition": definition, "rules": sorted(rules, key=lambda r: _rule_key(r["number"]))}
