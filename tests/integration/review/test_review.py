"""Review queue and reviews through the services: sampling rules, leases, no self-review,
verdict validation, rule warnings, feedback and figures."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from labelcrew.db.models.core import AuditEvent
from labelcrew.errors import Conflict, Forbidden, NotFound, ValidationFailed
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.projects import items, projects
from labelcrew.services.review import feedback_settings as feedback_common
from labelcrew.services.review import leases as review_leases
from labelcrew.services.review import queue as review_queue
from labelcrew.services.review import reviews as review
from tests.integration.feedback_team import events, feedback_team, label
from tests.integration.team import add_items, user


def _split(db, team, a="positive", b="negative"):
    """Both annotators label the same (first) item; returns its id."""
    first = label(db, team.annotators[0], team.project_id, a)
    second = label(db, team.annotators[1], team.project_id, b)
    assert first == second
    return first


def test_disagreement_is_queued_and_reviewed_per_annotation(db):
    team = feedback_team(db)
    pid, rev = team.project_id, team.others["rev"]
    split = _split(db, team)
    agreed = _split(db, team, "neutral", "neutral")
    queue = review_queue.list_queue(db, pid)
    assert [t["item_id"] for t in queue] == [split]
    assert {r["kind"] for r in queue[0]["reasons"]} == {"disagreement"}
    assert agreed != split

    lease = review_leases.next_review(db, rev, pid)
    assert lease["item"]["id"] == split and len(lease["annotations"]) == 2
    by_value = {a["value"]["sentiment"]: a["annotation_id"] for a in lease["annotations"]}
    first = review.record_review(
        db, rev, pid, split, verdict="accept", annotation_id=by_value["positive"]
    )
    assert first["task"]["state"] == "leased"
    assert first["task"]["remaining_annotations"] == [by_value["negative"]]
    second = review.record_review(
        db,
        rev,
        pid,
        split,
        verdict="correct",
        corrected_value={"sentiment": "positive"},
        error_tags=["wrong_class"],
        rule_refs=["4.2"],
        comment="per rule 4.2 sarcasm is negative; here the praise is sincere",
    )
    assert second["warnings"] == [] and second["task"]["state"] == "done"
    assert second["review"]["corrected_value"] == {"sentiment": "positive", "note": None}
    assert [e["verdict"] for e in events(db, "review.done")] == ["accept", "correct"]
    with db.uow(read_only=True) as uow:
        actions = uow.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("review.%"))
        ).all()
    assert actions.count("review.record") == 2 and "review.lease" in actions
    with pytest.raises(NotFound) as empty:
        review_leases.next_review(db, rev, pid)
    assert empty.value.code == "review_queue_empty"


def test_no_self_review(db):
    team = feedback_team(db)
    pid = team.project_id
    both = team.annotators[0]
    projects.set_member(
        db, team.admin, pid, username=both.username, roles=["annotator", "reviewer"]
    )
    _split(db, team)
    with pytest.raises(NotFound):
        review_leases.next_review(db, both, pid)
    assert review_leases.next_review(db, team.others["rev"], pid)["item"]["id"] == 1
    with pytest.raises(Conflict) as no_lease:
        review.record_review(db, both, pid, 1, verdict="accept", annotation_id=1)
    assert no_lease.value.code == "no_review_lease"
    with pytest.raises(Forbidden):
        review_leases.next_review(db, team.annotators[1], pid)


def test_gold_miss_and_flags_are_queued(db):
    team = feedback_team(db, annotators=1, items=0, overlap=1)
    pid, ann = team.project_id, team.annotators[0]
    add_items(db, pid, 3, start=100)
    items.set_gold(db, team.admin, pid, 1, value={"sentiment": "negative"}, rule="4.2")
    projects.update_project(db, team.admin, pid, {"gold_rate": 1.0})
    assert label(db, ann, pid, "positive") == 1
    task = review_queue.list_queue(db, pid)[0]
    assert task["item_id"] == 1 and task["reasons"][0]["kind"] == "gold_miss"
    assert task["priority"] == 3
    lease = review_leases.next_review(db, team.others["rev"], pid)
    assert lease["gold"]["value"]["sentiment"] == "negative" and lease["gold"]["rule"] == "4.2"

    projects.update_project(db, team.admin, pid, {"gold_rate": 0.0})
    held = label(db, ann, pid, "neutral")
    flagged = review_queue.flag_item(db, ann, pid, held, reason="the text is cut off")
    assert flagged["reasons"] == [
        {"kind": "flag", "annotator_id": ann.user_id, "reason": "the text is cut off",
         "at": flagged["reasons"][0]["at"]}
    ]  # fmt: skip
    with pytest.raises(NotFound):
        review_queue.flag_item(db, ann, pid, 3, reason="never held it")
    with pytest.raises(ValidationFailed):
        review_queue.flag_item(db, ann, pid, held, reason="  ")
    assert len(events(db, "item.flagged")) == 1


@pytest.mark.slow
def test_random_audit_rate_is_higher_on_probation(db):
    team = feedback_team(db, annotators=2, items=120, overlap=1)
    pid = team.project_id
    policy = {"audit_rate": 0.15, "probation_audit_rate": 0.3}
    feedback_common.update_settings(db, team.admin, pid, review_policy=policy)
    active, trial = team.annotators
    projects.set_member(db, team.admin, pid, username=trial.username, roles=["annotator"],
                        status="probation")  # fmt: skip
    done = {active.user_id: 0, trial.user_id: 0}
    for _ in range(60):
        for a in (active, trial):
            label(db, a, pid, "positive")
            done[a.user_id] += 1
    sampled = {active.user_id: 0, trial.user_id: 0}
    for task in review_queue.list_queue(db, pid, limit=1000):
        assert [r["kind"] for r in task["reasons"]] == ["audit"]
        sampled[task["reasons"][0]["annotator_id"]] += 1
    active_rate = sampled[active.user_id] / done[active.user_id]
    trial_rate = sampled[trial.user_id] / done[trial.user_id]
    assert 0.05 <= active_rate <= 0.3, active_rate
    assert 0.15 <= trial_rate <= 0.5, trial_rate
    assert trial_rate > active_rate


def test_review_leases_wip_expiry_and_release(db, clock):
    team = feedback_team(db, annotators=2, items=5)
    pid, rev, rev2 = team.project_id, team.others["rev"], team.others["rev2"]
    for _ in range(4):
        _split(db, team)
    first = review_leases.next_review(db, rev, pid)
    assert review_leases.next_review(db, rev, pid)["task"]["id"] == first["task"]["id"]
    second = review_leases.next_review(db, rev, pid, another=True)
    third = review_leases.next_review(db, rev, pid, another=True)
    assert len({first["item"]["id"], second["item"]["id"], third["item"]["id"]}) == 3
    with pytest.raises(Conflict) as wip:
        review_leases.next_review(db, rev, pid, another=True)
    assert wip.value.code == "wip_limit_reached"
    released = review_leases.release_review(db, rev, pid, third["item"]["id"])
    assert released["state"] == "pending" and released["reviewer_id"] is None
    assert review_leases.next_review(db, rev2, pid)["item"]["id"] == third["item"]["id"]
    clock.advance(901)  # the project's lease is 900 s
    taken = review_leases.next_review(db, rev2, pid, another=True)
    assert taken["item"]["id"] == first["item"]["id"]  # an expired lease goes to someone else
    with pytest.raises(Conflict):
        review.record_review(db, rev, pid, first["item"]["id"], verdict="accept", annotation_id=1)


def test_review_validation_and_rule_warnings(db):
    team = feedback_team(db)
    pid, rev = team.project_id, team.others["rev"]
    item = _split(db, team)
    lease = review_leases.next_review(db, rev, pid)
    ann = lease["annotations"][0]["annotation_id"]

    def bad(code, **kw):
        with pytest.raises((ValidationFailed, Conflict)) as err:
            review.record_review(db, rev, pid, item, **{"annotation_id": ann, **kw})
        assert err.value.code == code, err.value.message
        return err.value

    bad("validation_failed", verdict="maybe")
    bad("validation_failed", verdict="correct", error_tags=["wrong_class"])
    assert bad("invalid_value", verdict="correct", corrected_value={"sentiment": "angry"},
               error_tags=["wrong_class"]).field == "sentiment"  # fmt: skip
    assert bad("unknown_error_tag", verdict="reject", error_tags=["typo"]).field == "error_tags[0]"
    bad("error_tag_required", verdict="reject")
    assert bad("unknown_rule", verdict="reject", error_tags=["wrong_class"],
               rule_refs=["9.9"]).field == "rule_refs[0]"  # fmt: skip
    bad("correction_unchanged", verdict="correct", error_tags=["wrong_class"],
        corrected_value=lease["annotations"][0]["value"])  # fmt: skip
    with pytest.raises(ValidationFailed) as which:
        review.record_review(db, rev, pid, item, verdict="accept")
    assert which.value.field == "annotation_id"

    vague = review.record_review(
        db, rev, pid, item, annotation_id=ann, verdict="reject", error_tags=["wrong_class"],
        comment="fix this",
    )  # fmt: skip
    assert [w["code"] for w in vague["warnings"]] == ["not_tied_to_rule"]
    bad("already_reviewed", verdict="accept")
    other = lease["annotations"][1]["annotation_id"]
    cited = review.record_review(
        db, rev, pid, item, annotation_id=other, verdict="accept",
        comment="Per rule 4.2 this is right; see also rule 7.1",
    )  # fmt: skip
    assert [w["code"] for w in cited["warnings"]] == ["unknown_rule_mentioned"]


def test_feedback_shows_rule_text_and_stats_per_annotator_label_rule(db, clock):
    team = feedback_team(db, items=3)
    pid, rev = team.project_id, team.others["rev"]
    a0, a1 = team.annotators
    for _ in range(2):
        _split(db, team, "positive", "negative")
    for _ in range(2):
        lease = review_leases.next_review(db, rev, pid)
        for a in lease["annotations"]:
            if a["annotator_id"] == a0.user_id:
                review.record_review(db, rev, pid, lease["item"]["id"],
                                     annotation_id=a["annotation_id"], verdict="accept")  # fmt: skip
            else:
                review.record_review(
                    db, rev, pid, lease["item"]["id"], annotation_id=a["annotation_id"],
                    verdict="correct", corrected_value={"sentiment": "positive"},
                    error_tags=["wrong_class", "guideline_not_followed"], rule_refs=["4.2", "1.1"],
                    comment="per rule 4.2 only sarcasm is negative",
                )  # fmt: skip
        clock.advance(3600)
    # A later guideline version must not change the text shown for reviews made under v2.
    guidelines.save_draft(db, team.lead, pid, title="v3", body="",
                          rules=[{"number": "4.2", "text": "Irony counts as negative."}])  # fmt: skip
    guidelines.publish(db, team.lead, pid, version=3, changelog="irony")

    mine = review.my_feedback(db, a1, pid)
    assert len(mine) == 2 and all(f["verdict"] == "correct" for f in mine)
    assert mine[0]["your_value"]["sentiment"] == "negative"
    # The fields corrected, never the corrected value (on a gold item it is the answer key).
    assert mine[0]["corrected_fields"] == ["sentiment"] and "corrected_value" not in mine[0]
    assert mine[0]["error_tags"][0] == {"code": "wrong_class", "name": "Wrong class"}
    assert mine[0]["rules"] == [
        {"number": "4.2", "title": "", "text": "Sarcasm counts as negative."},
        {"number": "1.1", "title": "", "text": "Label the overall sentiment."},
    ]
    assert [f["verdict"] for f in review.my_feedback(db, a0, pid)] == ["accept", "accept"]
    assert review.my_feedback(db, rev, pid) == []

    stats = review.feedback_stats(db, pid)
    assert (stats["reviews"], stats["corrected"], stats["correction_rate"]) == (4, 2, 0.5)
    per = {r["username"]: r for r in stats["per_annotator"]}
    assert per[a0.username]["correction_rate"] == 0.0
    assert per[a1.username]["correction_rate"] == 1.0
    assert per[a1.username]["tags"] == {"wrong_class": 2, "guideline_not_followed": 2}
    labels = {r["label"]: r for r in stats["per_label"]}
    assert labels["negative"]["corrected"] == 2 and labels["positive"]["accepted"] == 2
    assert {r["rule"]: r["reviews"] for r in stats["per_rule"]} == {"4.2": 2, "1.1": 2}
    assert stats["by_member"] == {a1.username: 2} and stats["by_rule"] == {"4.2": 2, "1.1": 2}
    start = clock.now.replace(hour=9, minute=0)
    window = review.feedback_stats(db, pid, since=start, until=start.replace(minute=30))
    assert window["reviews"] == 2


def test_taxonomy_defaults_edits_and_retired_tags(db):
    from labelcrew.services.review import taxonomy

    team = feedback_team(db)
    pid = team.project_id
    codes = [t["code"] for t in taxonomy.list_tags(db, pid)]
    assert codes == ["wrong_class", "boundary_error", "missed_entity", "guideline_not_followed",
                     "ambiguous_item"]  # fmt: skip
    taxonomy.upsert_tag(db, team.lead, pid, code="sarcasm_missed", name="Sarcasm missed")
    taxonomy.upsert_tag(db, team.lead, pid, code="boundary_error", name="Boundary", active=False)
    assert "boundary_error" not in [t["code"] for t in taxonomy.list_tags(db, pid)]
    assert len(taxonomy.list_tags(db, pid, include_retired=True)) == 6
    with pytest.raises(ValidationFailed):
        taxonomy.upsert_tag(db, team.lead, pid, code="Bad Code", name="x")
    _split(db, team)
    lease = review_leases.next_review(db, team.others["rev"], pid)
    ann = lease["annotations"][0]["annotation_id"]
    with pytest.raises(ValidationFailed):
        review.record_review(db, team.others["rev"], pid, 1, annotation_id=ann,
                             verdict="reject", error_tags=["boundary_error"])  # fmt: skip
    ok = review.record_review(db, team.others["rev"], pid, 1, annotation_id=ann,
                              verdict="reject", error_tags=["sarcasm_missed"], rule_refs=["4.2"])  # fmt: skip
    assert ok["review"]["error_tags"] == ["sarcasm_missed"]


def test_backlog_sampling_and_policy_settings(db):
    team = feedback_team(db)
    pid = team.project_id
    feedback_common.update_settings(db, team.lead, pid, review_policy={"disagreement": False})
    _split(db, team)
    assert review_queue.list_queue(db, pid) == []
    with pytest.raises(ValidationFailed):
        feedback_common.update_settings(db, team.lead, pid, review_policy={"audit_rate": 2})
    with pytest.raises(ValidationFailed):
        feedback_common.update_settings(db, team.lead, pid, review_policy={"nope": True})
    feedback_common.update_settings(db, team.lead, pid, review_policy={"disagreement": True})
    result = review_queue.sample_backlog(db, team.lead, pid)
    assert result["queued"] == {"disagreement": 1} and result["open_tasks"] == 1
    again = review_queue.sample_backlog(db, team.lead, pid)
    assert again["items_considered"] == 0 and again["open_tasks"] == 1
    assert feedback_common.get_settings(db, pid)["review_policy"]["disagreement"] is True
    outsider = user(db, "nobody")
    with pytest.raises(Forbidden):
        review_leases.next_review(db, outsider, pid)
