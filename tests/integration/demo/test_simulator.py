"""The team simulator drives the real services and measures what the quality engine caught."""

from __future__ import annotations

from labelcrew.sim.run import SimConfig, run


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
