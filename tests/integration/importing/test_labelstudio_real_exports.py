"""Exports produced by a real Label Studio 1.23.2 (tests/data/labelstudio, see its README):
each imports with one call, and every label, region and annotator equals what went in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from labelcrew.db.models.core import Annotation, Item, Project
from labelcrew.db.models.predictions import ExternalIdentity
from labelcrew.services.importing.labelstudio_import import import_labelstudio
from tests.integration.importing.test_labelstudio_import import SYSTEM, run

DATA = Path(__file__).parents[2] / "data" / "labelstudio"
USERS = {str(u["id"]): u["email"] for u in orjson.loads((DATA / "ls_users.json").read_bytes())}
EXPORTS = [
    (project, export)
    for project in ("classify", "ner", "boxes", "compare")
    for export in ("ls_export.json", "ls_snapshot.json")
] + [
    (project, export)
    for project in ("classify", "ner")
    for export in ("ls_export_min.json", "ls_export.csv")
]


def by_data(db, slug: str) -> list[bytes]:
    """Each label as (item data, annotator e-mail, value): Label Studio renumbers tasks."""
    with db.uow(read_only=True) as uow:
        rows = uow.session.execute(
            select(Item.payload, ExternalIdentity.key, Annotation.value)
            .join(Item, Item.id == Annotation.item_id)
            .join(Project, Project.id == Item.project_id)
            .join(ExternalIdentity, ExternalIdentity.user_id == Annotation.annotator_id)
            .where(Project.slug == slug)
        ).all()
    sort = orjson.OPT_SORT_KEYS
    return sorted(orjson.dumps([_text(p), k, v], option=sort) for p, k, v in rows)


def _text(payload: dict[str, Any]) -> dict[str, Any]:
    # JSON_MIN and CSV flatten the data beside the labels; what identifies the item stays.
    return {k: v for k, v in payload.items() if k in ("text", "image", "items", "left", "right")}


@pytest.mark.parametrize(("project", "export"), EXPORTS)
def test_a_real_label_studio_export_brings_every_label_back(db, project, export):
    run(db, "original", f"{project}_config.xml", f"{project}.json")
    report = import_labelstudio(
        db,
        SYSTEM,
        "from-ls",
        config_xml=(DATA / f"{project}_config.xml").read_text(),
        export=(DATA / f"{project}_{export}").read_bytes(),
        filename=export,
        annotators=USERS,
    )
    assert report.members_created == [] and report.members_mapped  # the same people
    assert by_data(db, "from-ls") == by_data(db, "original")
    if project in ("classify", "boxes") and export == "ls_snapshot.json":
        assert report.predictions_created == 1
    if project in ("classify", "boxes") and export == "ls_export.json":
        assert report.predictions_by_id_only == 1
    if project == "classify" and export.endswith(".json") and "min" not in export:
        assert report.gold_set == 1
