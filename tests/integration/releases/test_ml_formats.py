"""Release formats ML teams load: crowd-kit frames aggregate to the release's own consensus,
COCO/YOLO boxes in pixels and normalised, CoNLL BIO tags and spans JSONL, typed Parquet
columns and per-annotator rows."""

from __future__ import annotations

import io
import zipfile

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from crowdkit.aggregation import MajorityVote

from labelcrew.errors import Conflict
from labelcrew.services.releases import formats as releases_export
from labelcrew.services.releases import publish as releases
from tests.integration.importing.test_labelstudio_import import SYSTEM, run
from tests.integration.releases.test_releases_fields import FIRST, SEVEN, _label_all
from tests.integration.team import build, user


def export(db, project, fmt, **options):
    return releases_export.export_release(db, SYSTEM, project, "v1", fmt, **options)


def publish(db, project):
    lead = user(db, "lead", admin=True)
    releases.create_release(db, lead, project, name="v1", method="mv")


def test_crowdkit_frame_aggregates_to_the_release_consensus(db):
    run(db, "reviews", "classify_config.xml", "classify.json")
    publish(db, "reviews")
    frame = pd.read_csv(io.BytesIO(export(db, "reviews", "crowdkit").content), dtype=str)
    assert list(frame.columns) == ["task", "worker", "field", "label"]
    assert set(frame.worker) == {"ann.kim@acme.example", "bo@acme.example"}
    assert set(frame.field) == {"sentiment", "topics", "helpfulness", "summary"}
    sentiment = frame[frame.field == "sentiment"][["task", "worker", "label"]]
    voted = MajorityVote().fit_predict(sentiment)
    rows = [orjson.loads(line) for line in export(db, "reviews", "jsonl").content.splitlines()]
    assert {r["external_id"]: r["value"]["sentiment"] for r in rows} == voted.to_dict()
    # A list-valued label is canonical JSON, so equal choices are equal strings.
    topics = frame[frame.field == "topics"].label.tolist()
    assert '["Price","Delivery"]' in topics


def test_coco_and_yolo_for_boxes(db):
    run(db, "street", "boxes_config.xml", "boxes.json")
    publish(db, "street")
    coco = orjson.loads(export(db, "street", "coco").content)
    assert coco["categories"] == [{"id": 1, "name": "Car"}, {"id": 2, "name": "Person"}]
    big = next(i for i in coco["images"] if i["external_id"] == "302")
    assert (big["file_name"], big["width"], big["height"]) == (
        "/data/upload/9/street-02.jpg",
        1280,
        720,
    )
    (whole,) = [a for a in coco["annotations"] if a["image_id"] == big["id"]]
    assert whole["bbox"] == [0, 0, 1280, 720] and whole["area"] == 1280 * 720
    archive = zipfile.ZipFile(io.BytesIO(export(db, "street", "yolo").content))
    assert (
        archive.read("labels/street-02.txt").decode() == "0 0.500000 0.500000 1.000000 1.000000\n"
    )
    assert 'names:\n  0: "Car"\n  1: "Person"' in archive.read("data.yaml").decode()


def test_conll_and_spans_jsonl(db):
    run(db, "news", "ner_config.xml", "ner.json")
    publish(db, "news")
    conll = export(db, "news", "conll").content.decode()
    block = conll.split("# id = 202\n")[1].split("\n\n")[0]
    assert block.splitlines()[:6] == [
        "Meet\tO",
        "👋\tO",
        "Jo\tB-PER",
        "Wu\tI-PER",
        "of\tO",
        "🚀\tO",
    ]
    lines = [orjson.loads(x) for x in export(db, "news", "spans-jsonl").content.splitlines()]
    doc = next(x for x in lines if x["id"] == "202")
    assert [doc["text"][s:e] for s, e, _ in doc["entities"]] == ["Jo Wu", "Orbit Labs", "Zürich"]
    with pytest.raises(Conflict, match="no field of kind bbox"):
        export(db, "news", "coco")


def test_parquet_has_typed_columns_and_per_annotator_rows(db):
    team = build(db, annotators=2, items=1, overlap=2, schema=SEVEN)
    _label_all(db, team, [FIRST, {**FIRST, "note": "other"}])  # note: not required
    releases.create_release(db, team.lead, team.project_id, name="v1", method="mv")
    file = releases_export.export_release(db, team.lead, team.project_id, "v1", "parquet")
    table = pq.read_table(io.BytesIO(file.content))
    types = {
        name: table.schema.field(f"field.{name}").type
        for name in ("topic", "tags", "severity", "order", "entities", "boxes")
    }
    assert types["topic"] == pa.string() and types["tags"] == pa.list_(pa.string())
    assert types["severity"] == pa.float64() and types["order"] == pa.list_(pa.int64())
    assert types["entities"].value_type.names == ["start", "end", "label"]
    assert types["boxes"].value_type.names == ["x", "y", "w", "h", "label"]
    row = table.to_pylist()[0]
    assert row["field.entities"] == FIRST["entities"] and row["field.tags"] == ["a"]
    assert table.schema.field("data.text").type == pa.string()
    per = pq.read_table(
        io.BytesIO(
            releases_export.export_release(
                db, team.lead, team.project_id, "v1", "parquet-annotations"
            ).content
        )
    )
    rows = per.to_pylist()
    assert sorted(r["field.note"] for r in rows) == ["fine", "other"]
    assert [r["field.severity"] for r in rows] == [4.0, 4.0]
    assert {r["annotator"] for r in rows} == {a.username for a in team.annotators}


def test_release_export_cli_offers_fixed_formats_and_a_field(db, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from labelcrew.cli import app
    from labelcrew.cli import releases as release_cli

    run(db, "street", "boxes_config.xml", "boxes.json")
    publish(db, "street")
    monkeypatch.setattr(release_cli, "get_db", lambda: db)
    runner = CliRunner()
    out = tmp_path / "coco.json"
    args = ["release", "export", "street", "v1", "--format", "coco", "--field", "label"]
    done = runner.invoke(app, [*args, "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert len(orjson.loads(out.read_bytes())["annotations"]) == 2  # consensus boxes
    refused = runner.invoke(app, ["release", "export", "street", "v1", "--format", "xml"])
    assert refused.exit_code == 2 and "coco" in refused.output
