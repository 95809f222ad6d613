"""The drift scan reads each member's agreement checks from stored overlap labels: a simulated
member whose accuracy drops is flagged with evidence from gold and agreement, steady members are
not."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import insert, select, update

from labelcrew.db.models.core import Annotation, GoldAnswer, Item
from labelcrew.services.quality import alerts
from labelcrew.services.quality import measures as quality
from labelcrew.sim.annotators import SimAnnotator, confusion_matrix
from tests.integration.team import SCHEMA, build

OPTIONS = SCHEMA["fields"][0]["options"]
ROUNDS = 900  # overlap items; each member labels about 3/5 of them
CHANGE = 380  # the drifter's answer from which accuracy is 0.7


def _store(db, pid: int, labels: list[tuple[str, int, int, int | None]]) -> None:
    """labels: (item key, annotator id, class, gold class or None), in the order given."""
    keys = list(dict.fromkeys(key for key, *_ in labels))
    gold_of = {key: gold for key, _, _, gold in labels}
    with db.uow() as uow:
        uow.session.execute(
            insert(Item),
            [
                {
                    "project_id": pid,
                    "external_id": key,
                    "payload": {"text": key},
                    "priority": 0,
                    "required_skills": [],
                    "overlap_target": 3,
                    "is_gold": gold_of[key] is not None,
                    "created_at": uow.now,
                }
                for key in keys
            ],
        )
        ids = {key: id_ for key, id_ in uow.session.execute(select(Item.external_id, Item.id))}
        answers = [
            {
                "item_id": ids[key],
                "value": {"sentiment": OPTIONS[gold]},
                "rule_number": "1.1",
                "created_at": uow.now,
            }
            for key, gold in gold_of.items()
            if gold is not None
        ]
        if answers:
            uow.session.execute(insert(GoldAnswer), answers)
        for key, who, label, gold in labels:  # one by one: annotation ids follow the order
            uow.session.execute(
                insert(Annotation).values(
                    project_id=pid,
                    item_id=ids[key],
                    annotator_id=who,
                    value={"sentiment": OPTIONS[label], "note": None},
                    schema_version=1,
                    guideline_version=1,
                    gold_correct=None if gold is None else label == gold,
                    created_at=uow.now,
                )
            )
        uow.commit()


def _simulated_work(team, rng: np.random.Generator) -> list[tuple[str, int, int, int | None]]:
    """Five members at accuracy 0.9; ann4 drops to 0.7 from its CHANGE-th answer. Each round,
    three random members label one overlap item, and each of them labels a gold item with
    probability 1/9 (a gold rate of 10 %)."""
    members = [SimAnnotator(a.username, confusion_matrix(3, 0.9)) for a in team.annotators]
    members[4].drift_at = CHANGE
    members[4].drift_confusion = confusion_matrix(3, 0.7)
    labels = []
    for r in range(ROUNDS):
        truth = int(rng.integers(3))
        for k in rng.choice(5, size=3, replace=False):
            person, user_id = members[k], team.annotators[k].user_id
            labels.append((f"o{r}", user_id, person.answer(truth, rng), None))
            if rng.random() < 1 / 9:
                gold = int(rng.integers(3))
                labels.append((f"g{r}-{k}", user_id, person.answer(gold, rng), gold))
    return labels


def test_a_drifting_member_is_flagged_with_agreement_evidence_and_steady_ones_are_not(db):
    team = build(db, annotators=5, items=0)
    _store(db, team.project_id, _simulated_work(team, np.random.default_rng(31)))
    found = [d for d in quality.scan_drift(db, team.project_id) if d["kind"] == "accuracy_drop"]
    assert [d["member"] for d in found] == ["ann4"]
    evidence = found[0]["evidence"]
    streams = evidence["streams"]
    assert set(streams) == {"gold", "pair", "consensus"}
    checks = [streams["pair"], streams["consensus"]]
    # the agreement checks carry the alarm: more checks than gold answers, most of the evidence
    assert sum(c["n"] for c in checks) > 3 * streams["gold"]["n"]
    assert sum(c["nats"] for c in checks) > streams["gold"]["nats"]
    assert sum(s["nats"] for s in streams.values()) == pytest.approx(evidence["statistic"])
    assert evidence["statistic"] >= evidence["threshold"]
    # beside the threshold, how often it cries wolf (issue 21)
    stored = alerts.list_alerts(db, team.project_id, kind="accuracy_drop")[0]["evidence"]
    expected = stored["expected_false_alarms"]
    assert expected["design_per_10000_gold"] == 1.0
    assert 0 < expected["measured_per_10000_gold"] <= 1.0
    for check in checks:
        assert check["n"] == len(check["items"]) and check["drifted"] < check["baseline"]
    assert streams["pair"]["rate"] < streams["pair"]["baseline"]
    assert "agreed with" in found[0]["message"]
    with db.uow(read_only=True) as uow:  # the window begins after the drifter's change
        ann4 = team.annotators[4].user_id
        own = uow.session.scalars(
            select(Annotation.id).where(Annotation.annotator_id == ann4).order_by(Annotation.id)
        ).all()
    assert own[CHANGE - 30] <= evidence["window"][0] and evidence["window"][1] <= own[-1]
    stored = alerts.list_alerts(db, team.project_id, kind="accuracy_drop")
    assert [a["subject"] for a in stored] == ["member:ann4"]
    assert stored[0]["evidence"]["streams"]["pair"]["items"] == streams["pair"]["items"]


def test_a_resolved_drift_alert_is_not_reopened_by_the_next_scan_of_the_same_history(db):
    team = build(db, annotators=5, items=0)
    _store(db, team.project_id, _simulated_work(team, np.random.default_rng(31)))
    assert [d["member"] for d in quality.scan_drift(db, team.project_id)] == ["ann4"]
    (open_alert,) = alerts.list_alerts(db, team.project_id, kind="accuracy_drop")
    alerts.resolve_alert(db, team.lead, team.project_id, open_alert["id"])
    # Same labels, same alarm window: the lead's resolution stands.
    assert quality.scan_drift(db, team.project_id) == []
    assert alerts.list_alerts(db, team.project_id, kind="accuracy_drop") == []
    resolved = alerts.list_alerts(db, team.project_id, state="resolved", kind="accuracy_drop")
    assert [a["id"] for a in resolved] == [open_alert["id"]]


def test_a_drift_alert_carries_effort_evidence_and_names_rushing(db):
    """The drifter also starts rushing (1 s per item on their latest labels, against the team's
    8 s and their own earlier 8 s): the alert says so (issue 21, part 8)."""
    team = build(db, annotators=5, items=0)
    _store(db, team.project_id, _simulated_work(team, np.random.default_rng(31)))
    drifter = team.annotators[4].user_id
    with db.uow() as uow:
        uow.session.execute(update(Annotation).values(duration_ms=8000))
        latest = uow.session.scalars(
            select(Annotation.id)
            .join(Item, Item.id == Annotation.item_id)
            .where(Annotation.annotator_id == drifter, Item.is_gold.is_(False))
            .order_by(Annotation.id.desc())
            .limit(200)
        ).all()
        uow.session.execute(
            update(Annotation).where(Annotation.id.in_(latest)).values(duration_ms=1000)
        )
        uow.commit()
    (found,) = [d for d in quality.scan_drift(db, team.project_id) if d["kind"] == "accuracy_drop"]
    effort = found["evidence"]["effort"]
    assert effort["speed"]["fast"] and effort["speed"]["team_median_ms"] == 8000
    assert effort["run"]["straight_lining"] is False
    assert "1.0 s per item against the team's 8.0 s" in found["message"]


def _shifted_work(team, rounds: int, start: int) -> list[tuple[str, int, int, int | None]]:
    """ann0 always answers class 0; the others spread over the three classes."""
    labels = []
    for r in range(start, start + rounds):
        for k, member in enumerate(team.annotators):
            labels.append((f"s{r}-{k}", member.user_id, 0 if k == 0 else (r + k) % 3, None))
    return labels


def _ann0_shift(found: list[dict]) -> list[dict]:
    return [d for d in found if d["kind"] == "label_shift" and d["member"] == "ann0"]


def test_a_resolved_label_shift_stays_resolved_until_all_new_labels_shift_again(db):
    """Issue 21, part 7: the window is annotation ids, so a resolved label-shift alert no longer
    silences the member for good (positions 0..n-1 matched every later alarm), and the next
    scan's window, shifted by a few labels, does not reopen it either."""
    team = build(db, annotators=3, items=0)
    pid = team.project_id
    _store(db, pid, _shifted_work(team, 250, 0))
    (shift,) = _ann0_shift(quality.scan_drift(db, pid))
    start, end = shift["evidence"]["window"]  # annotation ids of its latest 200 labels
    assert 100 < start < end and end >= 700
    (stored,) = [
        a for a in alerts.list_alerts(db, pid, kind="label_shift") if a["subject"] == "member:ann0"
    ]
    alerts.resolve_alert(db, team.lead, pid, stored["id"])
    _store(db, pid, _shifted_work(team, 20, 250))  # the same shift, a few labels later
    assert _ann0_shift(quality.scan_drift(db, pid)) == []
    _store(db, pid, _shifted_work(team, 250, 270))  # all of the latest 200 are new
    (again,) = _ann0_shift(quality.scan_drift(db, pid))
    assert again["evidence"]["window"][0] > stored["evidence"]["window"][1]


def test_the_label_shift_test_sees_each_members_full_window_in_a_large_team(db):
    """30 members: the test reads each member's own latest 200 labels, not a share of the
    project's latest 2,000 (issue 21, part 7: members saw 47-100 of their 200)."""
    team = build(db, annotators=30, items=0)
    labels = []
    for r in range(210):
        for k, member in enumerate(team.annotators):
            labels.append((f"t{r}-{k}", member.user_id, 0 if k == 0 else (r * 7 + k) % 3, None))
    _store(db, team.project_id, labels)
    (shift,) = _ann0_shift(quality.scan_drift(db, team.project_id))
    assert len(shift["evidence"]["items"]) <= 200
    start, end = shift["evidence"]["window"]
    with db.uow(read_only=True) as uow:
        ann0 = team.annotators[0].user_id
        own = uow.session.scalars(
            select(Annotation.id).where(Annotation.annotator_id == ann0).order_by(Annotation.id)
        ).all()
    assert (start, end) == (own[-200], own[-1])
