"""Review and feedback over HTTP: roles, the rule warning in the response, own feedback."""

from __future__ import annotations

from tests.integration.feedback_team import client, feedback_team, label


def test_review_flow_over_http(db):
    team = feedback_team(db)
    pid = team.project_id
    a0, a1 = team.annotators
    label(db, a0, pid, "positive")
    item = label(db, a1, pid, "negative")
    base = f"/api/v1/projects/{pid}"
    ann, rev, lead = client(db, a1), client(db, team.others["rev"]), client(db, team.lead)

    assert ann.post(f"{base}/review/next").status_code == 403
    lease = rev.post(f"{base}/review/next").json()
    assert lease["item"]["id"] == item
    theirs = next(a for a in lease["annotations"] if a["annotator_id"] == a1.user_id)
    vague = rev.post(
        f"{base}/items/{item}/reviews",
        json={"annotation_id": theirs["annotation_id"], "verdict": "correct",
              "corrected_value": {"sentiment": "positive"}, "error_tags": ["wrong_class"],
              "comment": "fix this"},
    )  # fmt: skip
    assert vague.status_code == 201
    assert [w["code"] for w in vague.json()["warnings"]] == ["not_tied_to_rule"]
    other = next(a for a in lease["annotations"] if a["annotator_id"] == a0.user_id)
    good = rev.post(
        f"{base}/items/{item}/reviews",
        json={"annotation_id": other["annotation_id"], "verdict": "accept",
              "comment": "per rule 1.1, overall sentiment is positive"},
    )  # fmt: skip
    assert good.json()["warnings"] == [] and good.json()["task"]["state"] == "done"
    bad = rev.post(f"{base}/items/{item}/reviews", json={"verdict": "accept", "rule_refs": ["8"]})
    assert bad.status_code == 409 and bad.json()["code"] == "no_review_lease"

    feedback = ann.get(f"{base}/my/feedback").json()
    assert [f["verdict"] for f in feedback] == ["correct"]
    assert feedback[0]["error_tags"] == [{"code": "wrong_class", "name": "Wrong class"}]
    assert ann.get(f"{base}/review/stats").status_code == 403
    stats = lead.get(f"{base}/review/stats", params={"since": "2026-01-01T00:00:00"}).json()
    assert stats["reviews"] == 2 and stats["correction_rate"] == 0.5
    assert len(lead.get(f"{base}/items/{item}/reviews").json()) == 2
    assert lead.get(f"{base}/review/queue?state=done").json()[0]["item_id"] == item


def test_taxonomy_settings_and_flags_over_http(db):
    team = feedback_team(db, annotators=1, overlap=1)
    pid = team.project_id
    base = f"/api/v1/projects/{pid}"
    qa, rev, ann = (
        client(db, team.others["qa"]),
        client(db, team.others["rev"]),
        client(db, team.annotators[0]),
    )
    assert len(rev.get(f"{base}/error-tags").json()) == 5
    new = {"code": "sarcasm_missed", "name": "Sarcasm missed"}
    assert rev.put(f"{base}/error-tags", json=new).status_code == 403
    assert qa.put(f"{base}/error-tags", json=new).json()["active"] is True
    bad = qa.put(f"{base}/feedback/settings", json={"escalation_sla_hours": {"3": 5}})
    assert bad.status_code == 422 and bad.json()["field"] == "escalation_sla_hours"
    changed = qa.put(f"{base}/feedback/settings", json={"max_open_tickets_per_reviewer": 2})
    assert changed.json()["max_open_tickets_per_reviewer"] == 2
    assert rev.put(f"{base}/feedback/settings", json={}).status_code == 403

    item = label(db, team.annotators[0], pid, "neutral")
    flagged = ann.post(f"{base}/items/{item}/flag", json={"reason": "two sentiments in one"})
    assert flagged.status_code == 201 and flagged.json()["priority"] == 3
    assert rev.post(f"{base}/items/{item}/flag", json={"reason": "x"}).status_code == 403
    assert rev.post(f"{base}/review/next").json()["task"]["reasons"][0]["kind"] == "flag"
