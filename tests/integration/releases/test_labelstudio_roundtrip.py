"""Label Studio -> labelcrew -> Label Studio -> labelcrew: every label, region, annotator,
gold answer and prediction survives; a native project with every field kind (and a
region-only one) exports too, per annotator and as consensus."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import select

from labelcrew.db.models.core import GoldAnswer, Item, Project
from labelcrew.db.models.predictions import Prediction
from labelcrew.domain.importing.labelstudio_config import parse_config
from labelcrew.services.importing.labelstudio_import import import_labelstudio
from labelcrew.services.importing.labelstudio_mapping import pairs
from labelcrew.services.releases import formats as releases_export
from labelcrew.services.releases import labelstudio_format
from labelcrew.services.releases import publish as releases
from tests.integration.importing.test_labelstudio_import import FIXTURES, SYSTEM, labels_of, run
from tests.integration.releases.test_releases_fields import CAR, FIRST, SEVEN, _label_all
from tests.integration.team import build

PROJECTS = [
    ("classify_config.xml", "classify.json"),
    ("ner_config.xml", "ner.json"),
    ("boxes_config.xml", "boxes.json"),
    ("compare_config.xml", "compare.json"),
]


def _gold_and_predictions(db, slug: str) -> tuple[dict[str, Any], list[Any]]:
    with db.uow(read_only=True) as uow:
        gold = pairs(
            uow.session.execute(
                select(Item.external_id, GoldAnswer.value)
                .join(GoldAnswer, GoldAnswer.item_id == Item.id)
                .join(Project, Project.id == Item.project_id)
                .where(Project.slug == slug)
            )
        )
        predictions = sorted(
            (e, p.model_version, p.score, orjson.dumps(p.value, option=orjson.OPT_SORT_KEYS))
            for e, p in uow.session.execute(
                select(Item.external_id, Prediction)
                .join(Item, Item.id == Prediction.item_id)
                .join(Project, Project.id == Item.project_id)
                .where(Project.slug == slug)
            )
        )
    return gold, predictions


@pytest.mark.parametrize(("config", "export"), PROJECTS)
def test_our_export_imports_back_identical(db, config, export):
    run(db, "first", config, export)
    out = labelstudio_format.export_project(db, SYSTEM, "first")
    assert out.config == (FIXTURES / config).read_text()  # the team's own config comes back
    again = import_labelstudio(
        db, SYSTEM, "second", config_xml=out.config, export=out.content, filename=out.filename
    )
    assert again.format == "json" and again.annotations_created > 0
    assert labels_of(db, "second") == labels_of(db, "first")
    assert _gold_and_predictions(db, "second") == _gold_and_predictions(db, "first")
    with db.uow(read_only=True) as uow:
        payloads = {
            slug: pairs(
                uow.session.execute(
                    select(Item.external_id, Item.payload).join(Project).where(Project.slug == slug)
                )
            )
            for slug in ("first", "second")
        }
    assert payloads["second"] == payloads["first"]


def test_spans_are_written_in_utf16_units_with_their_text(db):
    run(db, "news", "ner_config.xml", "ner.json")
    tasks = orjson.loads(labelstudio_format.export_project(db, SYSTEM, "news").content)
    source = {t["id"]: t for t in orjson.loads((FIXTURES / "ner.json").read_bytes())}
    task = next(t for t in tasks if t["meta"]["external_id"] == "202")
    theirs = source[202]["annotations"][0]["result"]
    ours = task["annotations"][0]["result"]
    assert [r["value"] for r in ours] == [r["value"] for r in theirs]
    assert {r["type"] for r in ours} == {"labels"}


def test_boxes_are_written_in_percent_of_the_original_size(db):
    run(db, "street", "boxes_config.xml", "boxes.json")
    tasks = orjson.loads(labelstudio_format.export_project(db, SYSTEM, "street").content)
    region = tasks[0]["annotations"][0]["result"][0]
    assert (region["original_width"], region["original_height"]) == (640, 480)
    assert region["value"]["x"] == pytest.approx(12.5) and region["value"]["width"] == 25.0
    assert region["value"]["rectanglelabels"] == ["Car"]


def test_a_native_project_of_every_kind_exports_with_a_config_of_its_own(db):
    team = build(db, annotators=2, items=1, overlap=2, schema=SEVEN)
    second = {**FIRST, "severity": 3, "boxes": [{**CAR, "x": 30}]}
    _label_all(db, team, [FIRST, second])
    out = labelstudio_format.export_project(db, team.lead, team.project_id)
    mapping = parse_config(out.config)
    assert [(c.field, c.kind) for c in mapping.controls] == [
        (f["name"], f["kind"]) for f in SEVEN["fields"]
    ]
    task = orjson.loads(out.content)[0]
    kinds = {r["type"] for r in task["annotations"][0]["result"]}
    assert kinds == {"choices", "rating", "ranker", "labels", "textarea"}
    # The items have no image size: boxes cannot be percent, and the task says so.
    assert "no width/height" in task["meta"]["not_exported"]["boxes"]
    assert {a["completed_by"]["email"] for a in task["annotations"]} == {
        f"{who.username}@labelcrew.local" for who in team.annotators
    }


def test_release_export_per_annotator_and_as_consensus_for_a_region_only_project(db):
    schema = {"fields": [{"name": "entities", "kind": "spans", "labels": ["PER", "ORG"]}]}
    team = build(db, annotators=2, items=1, overlap=2, schema=schema)
    value = {"entities": [{"start": 0, "end": 4, "label": "PER"}]}
    _label_all(db, team, [value, value])
    releases.create_release(db, team.lead, team.project_id, name="v1", method="mv")
    views = {}
    for fmt in ("labelstudio", "labelstudio-annotators", "labelstudio-consensus"):
        file = releases_export.export_release(db, team.lead, team.project_id, "v1", fmt)
        views[fmt] = orjson.loads(file.content)[0]
    both = views["labelstudio"]["annotations"]
    assert len(both) == 3 and both[0]["completed_by"]["email"] == "consensus@labelcrew.local"
    assert len(views["labelstudio-annotators"]["annotations"]) == 2
    assert len(views["labelstudio-consensus"]["annotations"]) == 1
    for annotation in both:
        (region,) = annotation["result"]
        assert region["type"] == "labels" and region["value"]["labels"] == ["PER"]
        assert (region["value"]["start"], region["value"]["end"]) == (0, 4)
