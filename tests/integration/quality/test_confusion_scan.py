"""The confusion scan reads gold answers on the primary field: a member who starts giving neutral
as negative is flagged with the pair and the counts, steady members are not, a resolved alert
stays resolved, and a project without a single-choice field has no findings."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from labelcrew.app import create_app
from labelcrew.db.models.core import Annotation, GoldAnswer, Item
from labelcrew.services.accounts import users as accounts
from labelcrew.services.quality import alerts
from labelcrew.services.quality.confusion_scan import confusion_findings, raise_confusion_alerts
from tests.integration.team import SCHEMA, build

OPTIONS = SCHEMA["fields"][0]["options"]  # positive, negative, neutral
STEADY = np.array([[0.94, 0.03, 0.03], [0.03, 0.94, 0.03], [0.03, 0.03, 0.94]])
CONFUSED = STEADY.copy()
CONFUSED[2] = [0.02, 0.6, 0.38]  # neutral given as negative 60 % of the time
PER_MEMBER, CHANGE = 360, 240  # gold answers per member; ann2 confuses from its 240th


def _store(db, pid: int, answers: list[tuple[int, int, int]]) -> None:
    """answers: (annotator id, true class, given class), in order; one gold item each."""
    with db.uow() as uow:
        uow.session.execute(
            insert(Item),
            [
                {
                    "project_id": pid,
                    "external_id": f"g{i}",
                    "payload": {"text": f"gold {i}"},
                    "priority": 0,
                    "required_skills": [],
                    "overlap_target": 1,
                    "is_gold": True,
                    "created_at": uow.now,
                }
                for i in range(len(answers))
            ],
        )
        ids = {key: id_ for key, id_ in uow.session.execute(select(Item.external_id, Item.id))}
        uow.session.execute(
            insert(GoldAnswer),
            [
                {
                    "item_id": ids[f"g{i}"],
                    "value": {"sentiment": OPTIONS[true]},
                    "rule_number": "1.1",
                    "created_at": uow.now,
                }
                for i, (_, true, _) in enumerate(answers)
            ],
        )
        for i, (who, true, given) in enumerate(answers):  # one by one: ids follow the order
            uow.session.execute(
                insert(Annotation).values(
                    project_id=pid,
                    item_id=ids[f"g{i}"],
                    annotator_id=who,
                    value={"sentiment": OPTIONS[given], "note": None},
                    schema_version=1,
                    guideline_version=1,
                    gold_correct=given == true,
                    created_at=uow.now,
                )
            )
        uow.commit()


def _work(team, rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """Three members take turns on gold items (classes in equal shares); ann2 switches from
    STEADY to CONFUSED at its CHANGE-th answer."""
    out = []
    for n in range(PER_MEMBER):
        for k, member in enumerate(team.annotators):
            rows = CONFUSED if k == 2 and n >= CHANGE else STEADY
            true = int(rng.integers(3))
            out.append((member.user_id, true, int(rng.choice(3, p=rows[true]))))
    return out


def test_a_confused_member_is_flagged_with_the_pair_and_a_resolved_alert_stays_resolved(db):
    team = build(db, annotators=3, items=0)
    pid = team.project_id
    _store(db, pid, _work(team, np.random.default_rng(5)))
    with db.uow() as uow:
        findings = confusion_findings(uow, pid)
        raised = raise_confusion_alerts(uow, pid, findings)
        uow.commit()
    assert [(f["member"], f["true_class"], f["given_class"]) for f in findings] == [
        ("ann2", "neutral", "negative")
    ]
    found = findings[0]
    assert found["after"]["given"] / found["after"]["n"] > 0.3
    assert found["before"]["given"] / found["before"]["n"] < 0.15
    assert found["team_rate"] < 0.15 and found["statistic"] >= found["threshold"]
    with db.uow(read_only=True) as uow:
        own = uow.session.scalars(
            select(Annotation.id)
            .where(Annotation.annotator_id == team.annotators[2].user_id)
            .order_by(Annotation.id)
        ).all()
    assert own[CHANGE - 30] <= found["window"][0] and found["window"][1] <= own[-1]
    assert raised[0]["subject"] == "member:ann2:neutral->negative"
    message = raised[0]["message"]
    assert message.startswith("ann2 now labels neutral as negative: ")
    assert f"gold items since annotation {found['window'][0]}, was " in message
    stored = alerts.list_alerts(db, pid, kind="confusion_drift")
    assert [a["subject"] for a in stored] == ["member:ann2:neutral->negative"]
    assert stored[0]["evidence"]["window"] == found["window"]
    assert stored[0]["message"] == message

    alerts.resolve_alert(db, team.admin, pid, stored[0]["id"])
    with db.uow() as uow:  # the hourly rescan finds the same window: nothing comes back
        again = raise_confusion_alerts(uow, pid, confusion_findings(uow, pid))
        uow.commit()
    assert again == []
    assert alerts.list_alerts(db, pid, kind="confusion_drift") == []


def test_steady_members_raise_nothing(db):
    team = build(db, annotators=3, items=0)
    rng = np.random.default_rng(8)
    answers = []
    for _ in range(200):
        for member in team.annotators:
            true = int(rng.integers(3))
            answers.append((member.user_id, true, int(rng.choice(3, p=STEADY[true]))))
    _store(db, team.project_id, answers)
    with db.uow(read_only=True) as uow:
        assert confusion_findings(uow, team.project_id) == []


def test_a_project_without_a_single_choice_field_has_no_findings(db):
    schema = {"fields": [{"name": "note", "kind": "text", "required": True, "max_length": 50}]}
    team = build(db, annotators=1, items=0, schema=schema)
    with db.uow() as uow:
        assert confusion_findings(uow, team.project_id) == []
        assert raise_confusion_alerts(uow, team.project_id, []) == []


def test_the_quality_scan_raises_the_confusion_alert_over_http(db):
    """Wired into the scan (`POST .../quality/scan`, and the hourly job): the confused member's
    alert comes back with its subject naming the pair."""
    team = build(db, annotators=3, items=0)
    _store(db, team.project_id, _work(team, np.random.default_rng(5)))
    client = TestClient(create_app(db=db))
    token = accounts.issue_token(db, None, user_id=team.lead.user_id)
    auth = {"Authorization": f"Bearer {token}"}
    out = client.post(f"/api/v1/projects/{team.project_id}/quality/scan", headers=auth)
    assert out.status_code == 200, out.text
    confused = [d for d in out.json()["drift"] if d["kind"] == "confusion_drift"]
    assert [d["subject"] for d in confused] == ["member:ann2:neutral->negative"]
    assert "now labels neutral as negative" in confused[0]["message"]
    stored = alerts.list_alerts(db, team.project_id, kind="confusion_drift")
    assert [a["subject"] for a in stored] == ["member:ann2:neutral->negative"]
