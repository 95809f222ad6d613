"""The team simulator drives the real services and measures what the quality engine caught."""

from __future__ import annotations

from labelcrew.sim.config import SimConfig
from labelcrew.sim.run import run


def test_simulated_team_is_measured(db):
    cfg = SimConfig(
        annotators=6,
        items=240,
        drifters=0,
        spammers=1,
        classes=3,
        overlap=2,
        gold_rate=0.3,
        gold_share=0.4,
        seed=3,
    )
    result = run(db, cfg).as_dict()
    assert result["labels_spent"] > 200
    assert result["gold_answers"] > 40
    # the random clicker is paused by the membership rules within ten gold answers
    assert result["spammers_paused_after_gold_answers"][0] is not None
    assert result["spammers_paused_after_gold_answers"][0] <= 10
    assert len(result["paused_members"]) == 1
    assert result["aggregation_accuracy"] is not None and result["aggregation_accuracy"] > 0.8
    assert result["false_alarms"] == 0


def test_every_kind_of_drift_a_rushing_member_and_the_gold_tells_are_measured(db):
    """Issue 21: the simulator runs step, gradual, class-confusion and early drift (near the
    100th answer) and a member who misses honeypots through the real services, and reports
    the tells a hostile annotator could count. How fast each drift kind is caught is measured
    over many members in tests/domain/quality/test_drift_kinds.py (a team of 12 gives each
    drifter too few gold answers after the change to say)."""
    cfg = SimConfig(
        annotators=12,
        items=1600,
        drifters=4,
        spammers=0,
        classes=3,
        overlap=2,
        gold_rate=0.2,
        gold_share=0.3,
        honeypot_share=0.04,
        inattentive=1,
        seed=21,
    )
    result = run(db, cfg).as_dict()
    by_kind = result["drift_by_kind"]
    assert set(by_kind) == {"step", "gradual", "confusion", "early"}
    assert all(len(found["latency_gold_answers"]) == 1 for found in by_kind.values())
    honeypots = result["honeypots"]
    assert honeypots["inattentive_flagged_after_honeypot_answers"][0] is not None
    assert honeypots["attentive_members_flagged"] == 0
    assert honeypots["attentive_honeypot_answers"] > 20
    tells = result["gold_serving_tells"]
    assert abs(tells["id_order_auc"] - 0.5) < 0.1  # ids do not separate gold
    assert tells["after_long_gap_items"] > 50
    assert tells["after_long_gap_precision"] < 0.5  # a long gap does not make gold certain
