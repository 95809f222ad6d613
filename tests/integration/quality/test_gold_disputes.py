"""Disputed gold over stored labels: a gold item most strong members answer otherwise, and one
whose wrong answer a reviewer accepted, are flagged for the guideline owner with a plain message;
an undisputed item is not; a resolved dispute stays resolved on the next scan."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from labelcrew.db.models.core import Annotation, GoldAnswer, Item, Member, Project
from labelcrew.db.models.feedback import Review
from labelcrew.services.platform.jobs import scan_quality
from labelcrew.services.quality import alerts, drift_scan, hooks
from labelcrew.services.quality import measures as quality
from labelcrew.services.quality.gold_disputes import (
    GOLD_DISPUTED,
    disputed_gold,
    disputed_item_ids,
    flag_disputed_gold,
)
from tests.integration.team import build

Stored = tuple[str, str, str | None, list[tuple[int, str]]]  # key, gold, rule, (who, given)


def _store(db, pid: int, items: list[Stored]) -> dict[str, int]:
    """Gold items with their answers, scored against the gold sentiment; returns item ids."""
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
                    "overlap_target": 1,
                    "is_gold": True,
                    "created_at": uow.now,
                }
                for key, *_ in items
            ],
        )
        ids = {k: i for k, i in uow.session.execute(select(Item.external_id, Item.id))}
        uow.session.execute(
            insert(GoldAnswer),
            [
                {
                    "item_id": ids[key],
                    "value": {"sentiment": gold},
                    "rule_number": rule,
                    "created_at": uow.now,
                }
                for key, gold, rule, _ in items
            ],
        )
        for key, gold, _, answers in items:
            for who, given in answers:
                uow.session.execute(
                    insert(Annotation).values(
                        project_id=pid,
                        item_id=ids[key],
                        annotator_id=who,
                        value={"sentiment": given, "note": None},
                        schema_version=1,
                        guideline_version=1,
                        gold_correct=given == gold,
                        created_at=uow.now,
                    )
                )
        uow.commit()
    return ids


def _accept(db, pid: int, item_id: int, annotator_id: int, reviewer_id: int) -> None:
    with db.uow() as uow:
        annotation_id = uow.session.scalar(
            select(Annotation.id).where(
                Annotation.item_id == item_id, Annotation.annotator_id == annotator_id
            )
        )
        uow.session.execute(
            insert(Review).values(
                project_id=pid,
                item_id=item_id,
                annotation_id=annotation_id,
                annotator_id=annotator_id,
                reviewer_id=reviewer_id,
                verdict="accept",
                created_at=uow.now,
            )
        )
        uow.commit()


def _scan(db, pid: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with db.uow() as uow:
        found = disputed_gold(uow, pid)
        raised = flag_disputed_gold(uow, pid, found)
        uow.commit()
    return found, raised


def _team_with_gold(db):  # type: ignore[no-untyped-def]
    team = build(db, annotators=7, items=0)
    who = [a.user_id for a in team.annotators]
    items: list[Stored] = [
        (f"g{i}", "positive", "1.1", [(w, "positive") for w in who]) for i in range(5)
    ]
    items += [
        ("x17", "neutral", "2.1", [(w, "negative") for w in who[:6]] + [(who[6], "neutral")]),
        ("x18", "negative", None, [(w, "negative") for w in who[:6]] + [(who[6], "neutral")]),
        ("x19", "neutral", "1.1", [(who[0], "negative"), (who[1], "neutral")]),
    ]
    ids = _store(db, team.project_id, items)
    _accept(db, team.project_id, ids["x19"], who[0], team.lead.user_id)
    # a rejected wrong answer on another item disputes nothing
    _accept(db, team.project_id, ids["x18"], who[6], team.lead.user_id)
    with db.uow() as uow:
        uow.session.execute(
            Review.__table__.update().where(Review.item_id == ids["x18"]).values(verdict="reject")
        )
        uow.commit()
    return team, ids


def test_a_consensus_and_a_review_dispute_are_flagged_in_plain_words(db):
    team, ids = _team_with_gold(db)
    pid = team.project_id
    found, raised = _scan(db, pid)
    assert [(d["external_id"], d["kind"]) for d in found] == [
        ("x17", "consensus"),
        ("x19", "review"),
    ]
    x17, x19 = found
    assert x17["item_id"] == ids["x17"] and x17["rule_number"] == "2.1"
    assert x17["fields"] == ["sentiment"]
    assert x17["gold"] == {"sentiment": "neutral"} and x17["crowd"] == {"sentiment": "negative"}
    assert x17["counts"] == {"answers": 7, "wrong": 6, "agreeing": 6}
    # accuracy on their other gold items: ann0 also answered x19 wrong (6 of 7)
    assert x17["accuracy"] == {"ann0": round(6 / 7, 4), **{f"ann{i}": 1.0 for i in range(1, 6)}}
    assert x17["reviewers"] == []
    assert x19["reviewers"] == ["lead"] and x19["crowd"] == {"sentiment": "negative"}
    assert x19["counts"] == {"answers": 2, "wrong": 1, "agreeing": 1}
    assert [r["subject"] for r in raised] == [f"item:{ids['x17']}", f"item:{ids['x19']}"]
    assert raised[0]["message"] == (
        "Gold item x17 (rule 2.1) may be wrong: 6 of 7 members answered 'negative', "
        "gold says 'neutral'"
    )
    assert raised[1]["message"] == (
        "Gold item x19 (rule 1.1) may be wrong: reviewer lead accepted the answer 'negative' "
        "(1 of 2 members gave it), gold says 'neutral'"
    )
    stored = alerts.list_alerts(db, pid, kind=GOLD_DISPUTED)
    assert sorted(a["subject"] for a in stored) == sorted(r["subject"] for r in raised)
    with db.uow(read_only=True) as uow:
        assert disputed_item_ids(uow, pid) == {ids["x17"], ids["x19"]}


def test_a_resolved_dispute_stays_resolved_on_the_next_scan(db):
    team, ids = _team_with_gold(db)
    pid = team.project_id
    _scan(db, pid)
    (x17,) = [a for a in alerts.list_alerts(db, pid, kind=GOLD_DISPUTED) if "x17" in a["message"]]
    alerts.resolve_alert(db, team.lead, pid, x17["id"])
    found, raised = _scan(db, pid)
    assert len(found) == 2  # still disputed by the numbers ...
    assert [r["item_id"] for r in raised] == [ids["x19"]]  # ... but the lead's word stands
    assert [a["subject"] for a in alerts.list_alerts(db, pid, kind=GOLD_DISPUTED)] == [
        f"item:{ids['x19']}"
    ]
    resolved = alerts.list_alerts(db, pid, state="resolved", kind=GOLD_DISPUTED)
    assert [a["id"] for a in resolved] == [x17["id"]]
    with db.uow(read_only=True) as uow:
        assert disputed_item_ids(uow, pid) == {ids["x19"]}


def test_superseded_answers_do_not_count(db):
    """Only live answers count: when four of the six dissenters resubmit the gold answer, the
    crowd no longer disputes x17."""
    team, ids = _team_with_gold(db)
    pid = team.project_id
    with db.uow() as uow:
        uow.session.execute(
            Annotation.__table__.update()
            .where(
                Annotation.item_id == ids["x17"],
                Annotation.annotator_id.in_([a.user_id for a in team.annotators[:4]]),
            )
            .values(superseded_at=uow.now)
        )
        for a in team.annotators[:4]:
            uow.session.execute(
                insert(Annotation).values(
                    project_id=pid,
                    item_id=ids["x17"],
                    annotator_id=a.user_id,
                    value={"sentiment": "neutral", "note": None},
                    schema_version=1,
                    guideline_version=1,
                    gold_correct=True,
                    created_at=uow.now,
                )
            )
        uow.commit()
    found, _ = _scan(db, pid)
    assert [d["external_id"] for d in found] == ["x19"]


def test_an_open_dispute_judges_no_one_and_the_hourly_job_raises_it(db):
    """Once x17 and x19 are flagged (by the hourly job), their answers leave the gold report,
    the drift chart's gold stream and the membership rules' window: the six members who
    answered x17 'negative' are no longer counted wrong on it."""
    team, ids = _team_with_gold(db)
    pid = team.project_id
    before = quality.gold_report(db, pid)["members"]["ann1"]["overall"]
    assert (before["n"], before["correct"]) == (8, 7)  # five g, x17 wrong, x18 and x19 right
    scan_quality(db)
    assert {a["subject"] for a in alerts.list_alerts(db, pid, kind=GOLD_DISPUTED)} == {
        f"item:{ids['x17']}",
        f"item:{ids['x19']}",
    }
    after = quality.gold_report(db, pid)["members"]["ann1"]["overall"]
    assert (after["n"], after["correct"]) == (6, 6)  # x17 (its one miss) and x19 are out
    with db.uow(read_only=True) as uow:
        scored = {r.item_id for r in drift_scan._gold_rows(uow, pid)}
    assert ids["x17"] not in scored and ids["x19"] not in scored and ids["g0"] in scored


def test_the_membership_rules_leave_an_open_disputes_answers_out(db, monkeypatch):
    team, _ = _team_with_gold(db)
    pid = team.project_id
    judged: list[list[bool]] = []

    def evaluate(status, answers, policy):  # the rules' input, as hooks hand it over
        judged.append(list(answers))

    monkeypatch.setattr(hooks.membership, "evaluate", evaluate)

    def judge() -> list[bool]:
        with db.uow(read_only=True) as uow:
            project = uow.session.get(Project, pid)
            member = uow.session.scalar(
                select(Member).where(Member.user_id == team.annotators[1].user_id)
            )
            hooks.after_gold_answer(uow, project, member)
        return judged[-1]

    assert judge().count(False) == 1 and len(judged[-1]) == 8  # x17 counted wrong
    scan_quality(db)
    assert judge() == [True] * 6  # x17 and x19 are out while their disputes are open
