"""import-labelstudio on both backends, from files shaped as Label Studio 1.x exports them
(tests/fixtures/labelstudio): schema, items, labels by annotator, gold, predictions,
offsets and boxes, dry run, all or nothing, re-import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from labelcrew.db.models.core import Annotation, GoldAnswer, Item, Member, Project, User
from labelcrew.db.models.predictions import ExternalIdentity, Prediction
from labelcrew.errors import ValidationFailed
from labelcrew.services.accounts.users import Actor, check_password, create_user
from labelcrew.services.importing.labelstudio_import import import_labelstudio
from labelcrew.services.projects.projects import create_project
from labelcrew.services.uow import Database

FIXTURES = Path(__file__).parents[2] / "fixtures" / "labelstudio"
SYSTEM = Actor(0, "system", True)


def run(db: Database, slug: str, config: str, export: str, **options: Any) -> Any:
    return import_labelstudio(
        db,
        options.pop("actor", SYSTEM),
        slug,
        config_xml=(FIXTURES / config).read_text(),
        export=options.pop("content", None) or (FIXTURES / export).read_bytes(),
        filename=export,
        **options,
    )


def labels_of(db: Database, slug: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(external id, annotator e-mail) -> value."""
    with db.uow(read_only=True) as uow:
        rows = uow.session.execute(
            select(Item.external_id, ExternalIdentity.key, Annotation.value)
            .join(Item, Item.id == Annotation.item_id)
            .join(Project, Project.id == Item.project_id)
            .join(ExternalIdentity, ExternalIdentity.user_id == Annotation.annotator_id)
            .where(Project.slug == slug)
        ).all()
    return {(e, k): dict(v) for e, k, v in rows}


def count(db: Database, model: Any) -> int:
    with db.uow(read_only=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_text_classification_json_brings_labels_gold_predictions_and_members(db):
    report = run(db, "reviews", "classify_config.xml", "classify.json", name="Reviews")
    assert report.project_created and report.format == "json" and report.schema_version == 1
    assert [(f["field"], f["kind"]) for f in report.fields] == [
        ("sentiment", "single_choice"),
        ("topics", "multi_choice"),
        ("helpfulness", "rating"),
        ("summary", "text"),
    ]
    assert [(u["name"], u["tag"]) for u in report.unmapped] == [("region_note", "TextArea")]
    assert "per-region" in report.unmapped[0]["reason"]
    assert (report.tasks, report.items_created, report.annotations_created) == (5, 5, 6)
    assert (report.cancelled_skipped, report.gold_set, report.predictions_created) == (1, 1, 1)
    assert report.members_created == ["ann.kim@acme.example", "bo@acme.example"]
    labels = labels_of(db, "reviews")
    assert labels[("41", "ann.kim@acme.example")] == {
        "sentiment": "Positive",
        "topics": ["Price", "Delivery"],
        "helpfulness": 4,
        "summary": "Fast and cheap",
    }
    assert labels[("42", "bo@acme.example")]["topics"] == ["Price", "Quality"]  # option order
    with db.uow(read_only=True) as uow:
        gold = uow.session.execute(
            select(Item.external_id, Item.is_gold, GoldAnswer.value).join(
                GoldAnswer, GoldAnswer.item_id == Item.id
            )
        ).one()
        assert gold[:2] == ("42", True) and gold[2]["sentiment"] == "Negative"
        prediction = uow.session.scalars(select(Prediction)).one()
        assert (prediction.model_version, prediction.score) == ("sentiment-bert-2025-02", 0.71)
        assert prediction.value == {"sentiment": "Neutral"}
        users = {u.username: u for u in uow.session.scalars(select(User))}
        ann = users["ann.kim-acme.example"]
        assert not ann.is_active and ann.display_name == "Ann Kim"
        roles = uow.session.scalars(select(Member.roles).where(Member.user_id == ann.id)).one()
        assert roles == ["annotator"]
        durations = uow.session.scalars(select(Annotation.duration_ms)).all()
        assert all(d is not None and d > 0 for d in durations)
    # Inactive until invited: the imported member cannot sign in.
    with pytest.raises(Exception, match="wrong username or password"):
        check_password(db, "ann.kim-acme.example", "anything")


@pytest.mark.parametrize("export", ["classify_min.json", "classify.csv"])
def test_json_min_and_csv_give_the_same_labels_as_json(db, export):
    run(db, "full", "classify_config.xml", "classify.json")
    report = run(db, "flat", "classify_config.xml", export)
    assert report.format == ("csv" if export.endswith(".csv") else "json_min")
    assert report.annotations_created == 6 and report.items_created == 5
    assert labels_of(db, "flat") == labels_of(db, "full")
    # The same people, found by e-mail: no second user for anyone.
    assert report.members_created == []
    assert report.members_mapped == ["ann.kim@acme.example", "bo@acme.example"]
    with db.uow(read_only=True) as uow:
        payloads = uow.session.scalars(
            select(Item.payload).join(Project).where(Project.slug == "flat")
        ).all()
    # The previous annotator's label never lands in the payload annotators see.
    assert all(set(p) == {"text"} for p in payloads)


def test_ner_offsets_are_code_points_after_emoji(db):
    report = run(db, "news", "ner_config.xml", "ner.json")
    assert report.regions_not_mapped == {"relation": 1}
    assert [u["tag"] for u in report.unmapped] == []
    labels = labels_of(db, "news")
    with db.uow(read_only=True) as uow:
        text = uow.session.scalars(select(Item.payload).where(Item.external_id == "202")).one()[
            "text"
        ]
    spans = labels[("202", "ann.kim@acme.example")]["label"]
    assert [(text[s["start"] : s["end"]], s["label"]) for s in spans] == [
        ("Jo Wu", "PER"),
        ("Orbit Labs", "ORG"),
        ("Zürich", "LOC"),
    ]
    assert labels[("203", "bo@acme.example")] == {"label": []}  # submitted with no entity
    # completed_by was a user id: the e-mail came from created_username.
    assert set(report.members_created) == {"ann.kim@acme.example", "bo@acme.example"}


def test_boxes_become_pixels_of_the_original_image(db):
    report = run(db, "street", "boxes_config.xml", "boxes.json")
    assert [u["reason"] for u in report.unmapped] == ["labelcrew has no polygon field kind"]
    assert report.regions_not_mapped == {"outline": 1}
    labels = labels_of(db, "street")
    assert labels[("301", "ann.kim@acme.example")]["label"] == [
        {"x": 80, "y": 60, "w": 160, "h": 100, "label": "Car"},
        {"x": 400, "y": 120, "w": 50.5, "h": 140, "label": "Person"},
    ]
    assert labels[("302", "bo@acme.example")]["label"] == [
        {"x": 0, "y": 0, "w": 1280, "h": 720, "label": "Car"}
    ]
    with db.uow(read_only=True) as uow:
        payload = uow.session.scalars(select(Item.payload).where(Item.external_id == "301")).one()
        assert (payload["width"], payload["height"]) == (640, 480)
        box = uow.session.scalars(select(Prediction.value)).one()["label"][0]
        assert (box["x"], box["w"]) == (76.8, 166.4)


def test_ranker_pairwise_and_number(db):
    run(db, "search", "compare_config.xml", "compare.json")
    labels = labels_of(db, "search")
    assert labels[("401", "ann.kim@acme.example")] == {
        "rank": [2, 0, 1],
        "better": [0, 1],
        "relevance": 7,
    }
    assert labels[("402", "ann.kim@acme.example")]["better"] == [1, 0]


def test_dry_run_reports_everything_and_writes_nothing(db):
    before = (count(db, Project), count(db, User), count(db, Item))
    report = run(db, "reviews", "classify_config.xml", "classify.json", dry_run=True)
    assert report.dry_run and report.items_created == 5 and report.annotations_created == 6
    assert report.members_created and report.gold_set == 1
    assert (count(db, Project), count(db, User), count(db, Item)) == before


def test_one_bad_region_refuses_the_whole_import_naming_it(db):
    tasks = orjson.loads((FIXTURES / "classify.json").read_bytes())
    tasks[3]["annotations"][0]["result"][0]["value"]["choices"] = ["Furious"]
    with pytest.raises(ValidationFailed) as refused:
        run(db, "reviews", "classify_config.xml", "classify.json", content=orjson.dumps(tasks))
    assert refused.value.code == "labelstudio_rejected"
    first = refused.value.details["errors"][0]
    assert first["where"].startswith("task 4 annotation") and first["field"] == "sentiment"
    assert "'Furious' is not one of" in first["message"]
    assert (count(db, Project), count(db, User), count(db, Item), count(db, Annotation)) == (
        0,
        0,
        0,
        0,
    )


def test_a_span_whose_text_is_not_at_its_offsets_is_refused(db):
    tasks = orjson.loads((FIXTURES / "ner.json").read_bytes())
    tasks[1]["annotations"][0]["result"][0]["value"]["start"] += 3
    with pytest.raises(ValidationFailed) as refused:
        run(db, "news", "ner_config.xml", "ner.json", content=orjson.dumps(tasks))
    message = refused.value.details["errors"][0]["message"]
    assert "neither in UTF-16 units nor in code points" in message


def test_reimport_adds_nothing_and_maps_members_by_email(db):
    run(db, "reviews", "classify_config.xml", "classify.json")
    again = run(db, "reviews", "classify_config.xml", "classify.json")
    assert (again.project_created, again.schema_changed) == (False, False)
    assert (again.items_created, again.items_unchanged) == (0, 5)
    assert (again.annotations_created, again.annotations_unchanged, again.gold_set) == (0, 6, 0)
    assert again.predictions_created == 0 and again.members_created == []
    assert again.members_mapped == []  # every label known: no annotator looked up
    assert count(db, Annotation) == 6 and count(db, User) == 2


def test_into_an_existing_project_a_new_schema_version(db):
    lead = create_user(db, None, username="lead", password="a-long-password", is_admin=True)
    schema = {"fields": [{"name": "x", "kind": "single_choice", "options": ["a", "b"]}]}
    create_project(db, Actor(lead.id, "lead", True), slug="reviews", name="R", schema=schema)
    report = run(db, "reviews", "classify_config.xml", "classify.json")
    assert not report.project_created and report.schema_changed and report.schema_version == 2
