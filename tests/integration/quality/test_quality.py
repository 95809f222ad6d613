"""The quality engine over stored labels: agreement with threshold alerts, gold accuracy per
member / label / rule, drift scans that raise alerts with their evidence, over HTTP too."""

from __future__ import annotations

import random

from fastapi.testclient import TestClient
from sqlalchemy import insert

from labelcrew.app import create_app
from labelcrew.db.models.core import Annotation, GoldAnswer, Item
from labelcrew.services.accounts import users as accounts
from labelcrew.services.quality import alerts
from labelcrew.services.quality import measures as quality
from tests.integration.team import build

OPTIONS = ("positive", "negative", "neutral")


def _labels(db, pid, rows):
    """rows: (external_id, annotator_id, value, gold_value or None, correct or None)."""
    with db.uow() as uow:
        ids = {}
        for ext, _, _, gold, _ in rows:
            if ext in ids:
                continue
            item = Item(
                project_id=pid,
                external_id=ext,
                payload={"text": ext},
                priority=0,
                required_skills=[],
                overlap_target=3,
                is_gold=gold is not None,
                created_at=uow.now,
            )
            uow.session.add(item)
            uow.session.flush()
            ids[ext] = item.id
            if gold is not None:
                uow.session.add(
                    GoldAnswer(
                        item_id=item.id,
                        value={"sentiment": gold},
                        rule_number="1.1",
                        created_at=uow.now,
                    )
                )
        uow.session.execute(
            insert(Annotation),
            [
                {
                    "project_id": pid,
                    "item_id": ids[ext],
                    "annotator_id": who,
                    "value": {"sentiment": value, "note": None},
                    "schema_version": 1,
                    "guideline_version": 1,
                    "gold_correct": correct,
                    "created_at": uow.now,
                }
                for ext, who, value, _, correct in rows
            ],
        )
        uow.commit()


def test_low_agreement_raises_an_alert_and_is_recorded_for_the_trend(db):
    team = build(db, annotators=2, items=0)
    a, b = team.annotators
    rng = random.Random(4)
    rows = []
    for i in range(40):  # two annotators who agree only by chance
        rows.append((f"i{i}", a.user_id, rng.choice(OPTIONS), None, None))
        rows.append((f"i{i}", b.user_id, rng.choice(OPTIONS), None, None))
    _labels(db, team.project_id, rows)
    summary = quality.measure_agreement(db, team.project_id)
    assert summary["counts"]["items"] == 40 and summary["alpha"]["nominal"] < 0.6
    found = alerts.list_alerts(db, team.project_id, kind="agreement")
    assert len(found) == 1 and found[0]["evidence"]["level"] == "warning"
    quality.measure_agreement(db, team.project_id)  # raising again refreshes, never duplicates
    assert len(alerts.list_alerts(db, team.project_id, kind="agreement")) == 1
    trend = quality.agreement_trend(db, team.project_id)
    assert len(trend) == 2 and trend[0]["alpha"] == summary["alpha"]["nominal"]


def test_gold_accuracy_per_member_label_and_rule(db):
    team = build(db, annotators=2, items=0)
    a, b = team.annotators
    rows = [(f"g{i}", a.user_id, "positive", "positive", True) for i in range(8)]
    rows += [(f"g{i}", b.user_id, "negative", "positive", False) for i in range(4)]
    rows += [(f"g{i}", b.user_id, "positive", "positive", True) for i in range(4, 8)]
    _labels(db, team.project_id, rows)
    report = quality.gold_report(db, team.project_id, window=50)["members"]
    assert report["ann0"]["overall"]["accuracy"] == 1.0 and report["ann0"]["overall"]["n"] == 8
    assert report["ann1"]["overall"]["accuracy"] == 0.5
    assert report["ann1"]["by_label"]["positive"]["n"] == 8
    assert report["ann1"]["by_rule"]["1.1"]["correct"] == 4


def test_drift_scan_flags_a_member_whose_gold_accuracy_drops(db):
    team = build(db, annotators=2, items=0)
    steady, drifter = team.annotators
    rng = random.Random(9)
    rows = []
    for i in range(160):
        for who, acc in ((steady, 0.95), (drifter, 0.95 if i < 80 else 0.45)):
            correct = rng.random() < acc
            rows.append(
                (f"g{i}", who.user_id, "positive" if correct else "negative", "positive", correct)
            )
    _labels(db, team.project_id, rows)
    token = accounts.issue_token(db, None, user_id=team.lead.user_id)
    from labelcrew.services.projects import projects

    projects.set_member(
        db, team.admin, team.project_id, username="lead", roles=["lead", "guideline_owner", "qa"]
    )
    client = TestClient(create_app(db=db), headers={"Authorization": f"Bearer {token}"})
    scan = client.post(f"/api/v1/projects/{team.project_id}/quality/scan").json()
    flagged = {d["member"] for d in scan["drift"] if d["kind"] == "accuracy_drop"}
    assert flagged == {"ann1"}
    listed = client.get(f"/api/v1/projects/{team.project_id}/alerts?kind=accuracy_drop").json()
    assert listed[0]["subject"] == "member:ann1"
    evidence = listed[0]["evidence"]
    assert evidence["before_rate"] > evidence["after_rate"] and evidence["items"]
    resolved = client.post(
        f"/api/v1/projects/{team.project_id}/alerts/{listed[0]['id']}/resolve"
    ).json()
    assert resolved["state"] == "resolved"
