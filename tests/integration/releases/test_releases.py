"""Dataset releases through the services: final label rules, exclusions, hash and immutability,
diffs after relabels and corrections, consensus on a simulated team."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pytest
from sqlalchemy import MetaData, Table, delete, insert, inspect, select, update
from sqlalchemy.exc import DBAPIError

from labelcrew.db.models.core import Annotation, AuditEvent, GoldAnswer, Item, OutboxEvent
from labelcrew.db.models.releases import Release, ReleaseItem
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.releases import formats as releases_export
from labelcrew.services.releases import publish as releases
from labelcrew.sim.annotators import make_team
from tests.integration.team import Team, add_items, build


def ids(db, pid: int) -> dict[str, int]:
    with db.uow(read_only=True) as uow:
        rows = uow.session.execute(
            select(Item.external_id, Item.id).where(Item.project_id == pid)
        ).all()
        return {e: i for e, i in rows}


def label(
    db, team: Team, item_id: int, who: int, sentiment: str | None, *, note=None, guideline=1
) -> int:
    """Store one annotation directly (the hot path has its own tests; this keeps ours fast)."""
    with db.uow() as uow:
        a = Annotation(
            project_id=team.project_id,
            item_id=item_id,
            annotator_id=team.annotators[who].user_id,
            value={"sentiment": sentiment, "note": note},
            schema_version=1,
            guideline_version=guideline,
            created_at=uow.now,
        )
        uow.session.add(a)
        uow.session.flush()
        uow.commit()
        return a.id


def supersede(db, item_id: int) -> None:
    with db.uow() as uow:
        uow.session.execute(
            update(Annotation)
            .where(Annotation.item_id == item_id, Annotation.superseded_at.is_(None))
            .values(superseded_at=uow.now)
        )
        uow.commit()


def correct(db, team: Team, annotation_id: int, value: dict[str, Any]) -> None:
    """A reviewer's 'correct' verdict, written into the review capability's table."""
    with db.uow() as uow:
        reviews = Table("reviews", MetaData(), autoload_with=uow.session.connection())
        a = uow.session.get(Annotation, annotation_id)
        assert a is not None
        uow.session.execute(
            insert(reviews).values(
                project_id=team.project_id,
                item_id=a.item_id,
                annotation_id=a.id,
                annotator_id=a.annotator_id,
                reviewer_id=team.lead.user_id,
                verdict="correct",
                corrected_value=value,
                error_tags=[],
                rule_refs=[],
                comment="",
                created_at=uow.now,
            )
        )
        uow.commit()


def has_reviews(db) -> bool:
    with db.engine.connect() as conn:
        return inspect(conn).has_table("reviews")


def stored_rows(db, name: str) -> list[dict[str, Any]]:
    with db.uow(read_only=True) as uow:
        release = uow.session.scalar(select(Release).where(Release.name == name))
        assert release is not None
        return releases.release_rows(uow, release)


def jsonl(db, team: Team, name: str) -> dict[str, dict[str, Any]]:
    file = releases_export.export_release(db, team.lead, team.project_id, name, "jsonl")
    rows = [orjson.loads(line) for line in file.content.splitlines()]
    return {r["external_id"]: r for r in rows}


def publish_v2(db, team: Team) -> None:
    guidelines.save_draft(
        db,
        team.lead,
        team.project_id,
        title="v2",
        body="",
        rules=[{"number": "1.1", "text": "Sarcasm counts as negative."}],
    )
    guidelines.publish(db, team.lead, team.project_id, version=2, changelog="sarcasm is negative")


def scenario(db) -> tuple[Team, dict[str, int], dict[str, int]]:
    """Eight items that each exercise one rule, plus a gold item; returns annotation ids."""
    team = build(db, annotators=4, items=8, overlap=3)
    add_items(db, team.project_id, 1, start=100, is_gold=True)
    item = ids(db, team.project_id)
    with db.uow() as uow:
        uow.session.add(
            GoldAnswer(item_id=item["x100"], value={"sentiment": "neutral"}, created_at=uow.now)
        )
        uow.commit()
    ann: dict[str, int] = {}
    for who, note in enumerate(("a", "b", "c")):
        label(db, team, item["x0"], who, "positive", note=note)
    ann["x1_neg"] = label(db, team, item["x1"], 0, "negative", note="first")
    ann["x1_pos"] = label(db, team, item["x1"], 1, "positive", note="p1")
    label(db, team, item["x1"], 2, "positive", note="p2")
    label(db, team, item["x3"], 0, "positive")
    supersede(db, item["x3"])
    label(db, team, item["x4"], 0, "positive")
    label(db, team, item["x4"], 1, "negative")
    label(db, team, item["x5"], 0, "neutral")
    label(db, team, item["x6"], 0, None, note="no sentiment given")
    label(db, team, item["x7"], 0, "positive")
    label(db, team, item["x7"], 1, "positive")
    label(db, team, item["x100"], 0, "neutral")
    return team, item, ann


def test_final_labels_exclusions_and_manifest(db):
    team, item, _ = scenario(db)
    out = releases.create_release(db, team.lead, "demo", name="v1", method="mv")
    m = out["manifest"]
    assert out["number"] == 1 and out["method"] == "mv" and m["estimator"] == "MajorityVote"
    assert m["counts"]["items"] == 8  # the gold item x100 is never part of a release
    assert m["counts"]["excluded_by_reason"] == {
        "no_labels": 1,
        "no_primary_value": 1,
        "only_superseded_labels": 1,
        "tied": 1,
    }
    assert m["label_distribution"] == {"neutral": 1, "positive": 3}
    assert m["guideline_versions"] == [1] and m["schema_versions"] == [1]
    changelog = m["guideline_changelog"]
    assert [(c["version"], c["changelog"]) for c in changelog] == [(1, "first version")]
    assert m["agreement"]["counts"]["ratings"] == 11 and m["content_hash"] == out["content_hash"]
    rows = jsonl(db, team, "v1")
    assert set(rows) == {"x0", "x1", "x5", "x7"}
    frozen = stored_rows(db, "v1")
    assert len(frozen) == 8 and item["x100"] not in {r["item_id"] for r in frozen}
    assert rows["x0"]["label"] == "positive" and rows["x0"]["confidence"] == 1.0
    # Each field has its own consensus; free text is never voted on: different notes give
    # none, and every note stays in the row beside each annotator's own label.
    assert rows["x0"]["value"] == {"sentiment": "positive", "note": None}
    assert rows["x0"]["fields"]["note"]["detail"] == {"values": ["a", "b", "c"]}
    assert rows["x0"]["fields"]["sentiment"]["method"] == "MajorityVote"
    assert rows["x1"]["value"] == {"sentiment": "positive", "note": None}
    assert [a["value"]["note"] for a in rows["x1"]["annotations"]] == ["first", "p1", "p2"]
    assert rows["x1"]["confidence"] == pytest.approx(2 / 3, abs=1e-6)
    assert rows["x1"]["votes"] == {"negative": 1, "positive": 2} and rows["x1"]["n_labels"] == 3
    assert rows["x1"]["source"] == "consensus" and rows["x1"]["method"] == "mv"
    assert rows["x1"]["guideline_versions"] == [1] and rows["x1"]["data"]["text"]
    excluded = {e["external_id"]: e for e in releases.excluded_items(db, "demo", "v1")}
    assert {k: e["reason"] for k, e in excluded.items()} == {
        "x2": "no_labels",
        "x3": "only_superseded_labels",
        "x4": "tied",
        "x6": "no_primary_value",
    }
    assert excluded["x4"]["confidence"] == 0.5 and excluded["x2"]["n_labels"] == 0
    strict = releases.create_release(
        db, team.lead, "demo", name="v1-strict", method="mv", min_confidence=0.7
    )
    assert strict["manifest"]["counts"]["excluded_by_reason"]["below_min_confidence"] == 1
    assert set(jsonl(db, team, "v1-strict")) == {"x0", "x5", "x7"}


def test_release_is_published_audited_and_names_are_unique(db):
    team, _, _ = scenario(db)
    out = releases.create_release(db, team.lead, "demo", name="v1")
    with db.uow(read_only=True) as uow:
        event = uow.session.scalar(
            select(OutboxEvent).where(OutboxEvent.event_type == "release.published")
        )
        record = uow.session.scalar(select(AuditEvent).where(AuditEvent.action == "release.create"))
    assert event is not None and event.payload["content_hash"] == out["content_hash"]
    assert event.payload["release"] == "v1" and event.payload["included"] == out["included"]
    assert record is not None and record.actor_id == team.lead.user_id
    assert record.after["content_hash"] == out["content_hash"]
    with pytest.raises(Exception) as again:
        releases.create_release(db, team.lead, "demo", name="v1")
    assert getattr(again.value, "code", None) == "release_exists"
    for bad, field in (
        ({"name": "no spaces"}, "name"),
        ({"name": "v9", "method": "x"}, "method"),
        ({"name": "v9", "min_confidence": 1.5}, "min_confidence"),
    ):
        with pytest.raises(Exception) as wrong:
            releases.create_release(db, team.lead, "demo", **bad)
        assert getattr(wrong.value, "field", None) == field
    assert [r["name"] for r in releases.list_releases(db, "demo")] == ["v1"]


def test_published_release_never_changes(db):
    team, item, _ = scenario(db)
    first = releases.create_release(db, team.lead, "demo", name="v1")
    before = stored_rows(db, "v1")
    assert releases.verify_release(db, "demo", "v1")["ok"] is True
    # Later work: a relabel under a new guideline, and a new label on an unlabelled item.
    publish_v2(db, team)
    supersede(db, item["x7"])
    label(db, team, item["x7"], 0, "negative", guideline=2)
    label(db, team, item["x2"], 1, "neutral", guideline=2)
    assert stored_rows(db, "v1") == before
    assert releases.get_release(db, "demo", "v1")["content_hash"] == first["content_hash"]
    assert releases.verify_release(db, "demo", "v1")["ok"] is True
    second = releases.create_release(db, team.lead, "demo", name="v2")
    assert second["content_hash"] != first["content_hash"]
    assert second["manifest"]["previous"] == {"name": "v1", "content_hash": first["content_hash"]}
    assert [c["version"] for c in second["manifest"]["guideline_changelog"]] == [2]
    # Nothing changed since v2: the same content has the same hash, whatever the name.
    third = releases.create_release(db, team.lead, "demo", name="v3")
    assert third["content_hash"] == second["content_hash"]
    # The database itself refuses to change a published release.
    for statement in (
        update(ReleaseItem).values(label="negative"),
        update(Release).values(content_hash="0" * 64),
        delete(ReleaseItem),
        delete(Release),
    ):
        with pytest.raises(DBAPIError), db.engine.begin() as conn:
            conn.execute(statement)
    assert stored_rows(db, "v1") == before


def test_diff_names_added_removed_changed_with_reasons(db):
    team, item, _ = scenario(db)
    releases.create_release(db, team.lead, "demo", name="v1", method="mv")
    publish_v2(db, team)
    supersede(db, item["x7"])  # relabel x7 under guideline 2
    label(db, team, item["x7"], 0, "negative", guideline=2)
    label(db, team, item["x7"], 1, "negative", guideline=2)
    label(db, team, item["x0"], 3, "negative")  # a fourth, dissenting label: confidence drops
    label(db, team, item["x2"], 0, "neutral")  # newly labelled
    label(db, team, item["x4"], 2, "positive")  # breaks the tie
    supersede(db, item["x5"])  # only superseded labels left
    releases.create_release(db, team.lead, "demo", name="v2", method="mv")
    diff = releases.diff_releases(db, "demo", "v1", "v2")
    assert diff["counts"] == {"added": 2, "removed": 1, "changed": 1, "confidence_changed": 1}
    added = {e["external_id"]: e for e in diff["added"]}
    assert added["x2"]["reasons"][0] == "newly included (was no_labels)"
    assert added["x4"]["label"] == "positive"
    assert added["x4"]["reasons"][0] == "newly included (was tied)"
    assert diff["removed"][0]["external_id"] == "x5"
    assert diff["removed"][0]["reasons"][0] == "newly excluded: only_superseded_labels"
    change = diff["changed"][0]
    assert (change["external_id"], change["old_label"], change["new_label"]) == (
        "x7",
        "positive",
        "negative",
    )
    assert "relabel under guideline v2" in change["reasons"]
    moved = diff["confidence_changed"][0]
    assert moved["external_id"] == "x0" and moved["new_confidence"] == 0.75
    assert "labels 3 -> 4" in moved["reasons"]
    assert releases.previous_name(db, "demo", "v2") == "v1"
    assert releases.diff_releases(db, "demo", "v2", "v2")["counts"]["changed"] == 0


def test_reviewed_correction_wins_until_a_relabel_supersedes_it(db):
    if not has_reviews(db):
        pytest.skip("the review capability (reviews table) is not installed")
    team, item, ann = scenario(db)
    releases.create_release(db, team.lead, "demo", name="v1", method="mv")
    correct(db, team, ann["x1_pos"], {"sentiment": "negative"})
    out = releases.create_release(db, team.lead, "demo", name="v2", method="mv")
    assert out["manifest"]["counts"]["by_source"] == {"consensus": 3, "review": 1}
    row = jsonl(db, team, "v2")["x1"]
    assert (row["label"], row["confidence"], row["source"]) == ("negative", 1.0, "review")
    # The corrected field is the reviewer's; the others keep their own consensus.
    assert row["value"] == {"sentiment": "negative", "note": None}
    assert row["fields"]["sentiment"]["source"] == "review"
    change = releases.diff_releases(db, "demo", "v1", "v2")["changed"][0]
    assert change["external_id"] == "x1" and "new reviewed correction" in change["reasons"]
    supersede(db, item["x1"])
    for who in range(3):
        label(db, team, item["x1"], who, "neutral", guideline=1)
    releases.create_release(db, team.lead, "demo", name="v3", method="mv")
    assert jsonl(db, team, "v3")["x1"]["source"] == "consensus"
    reasons = releases.diff_releases(db, "demo", "v2", "v3")["changed"][0]["reasons"]
    assert "reviewed correction withdrawn" in reasons


def test_consensus_on_a_simulated_team(db):
    """Six members (one random clicker) label 90 items three times: both methods recover the
    truth, and a confidence floor trades items for accuracy."""
    rng = np.random.default_rng(11)
    options = ["positive", "negative", "neutral"]
    members = make_team(6, 0, 1, 3, rng, accuracy_range=(0.7, 0.9))
    team = build(db, annotators=6, items=90, overlap=3)
    add_items(db, team.project_id, 10, start=500, is_gold=True)
    item = ids(db, team.project_id)
    truth = {i: int(rng.integers(3)) for i in item.values()}
    rows = []
    with db.uow() as uow:
        for ext, item_id in item.items():
            if ext.startswith("x5") and len(ext) == 4:
                uow.session.add(
                    GoldAnswer(
                        item_id=item_id,
                        value={"sentiment": options[truth[item_id]]},
                        created_at=uow.now,
                    )
                )
            for who in rng.choice(6, size=3, replace=False):
                answer = members[int(who)].answer(truth[item_id], rng)
                rows.append(
                    {
                        "project_id": team.project_id,
                        "item_id": item_id,
                        "annotator_id": team.annotators[int(who)].user_id,
                        "value": {"sentiment": options[answer], "note": None},
                        "schema_version": 1,
                        "guideline_version": 1,
                        "queue": "annotation",
                        "created_at": uow.now,
                    }
                )
        uow.session.execute(insert(Annotation), rows)
        uow.commit()
    by_ext = {i: truth[i] for i in item.values()}

    def accuracy(name: str) -> tuple[float, int]:
        got = jsonl(db, team, name)
        hits = [options[by_ext[item[e]]] == r["label"] for e, r in got.items()]
        return sum(hits) / len(hits), len(hits)

    ds = releases.create_release(db, team.lead, "demo", name="ds", method="ds")
    assert ds["manifest"]["estimator"].startswith("GoldSeededDawidSkene(smoothing=")
    releases.create_release(db, team.lead, "demo", name="mv", method="mv")
    releases.create_release(db, team.lead, "demo", name="ds-90", min_confidence=0.9)
    (ds_acc, ds_n), (mv_acc, _) = accuracy("ds"), accuracy("mv")
    strict_acc, strict_n = accuracy("ds-90")
    assert ds_n == 90 and ds_acc >= 0.85 and mv_acc >= 0.85
    assert strict_n < 90 and strict_acc >= ds_acc
    assert ds["manifest"]["counts"]["labels"] == 270
