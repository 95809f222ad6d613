"""The comment, escalation and revision routes answer with exactly what their services return:
the response models describe the bodies without adding, dropping or changing a key."""

from __future__ import annotations

from labelcrew.services.escalations import tickets
from labelcrew.services.guidelines import relabel
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.review import comments
from tests.integration.feedback_team import RULES, client, feedback_team, label


def test_comment_and_escalation_bodies_are_the_services_own(db):
    team = feedback_team(db, annotators=1, items=2, overlap=1)
    pid = team.project_id
    a0, rev = team.annotators[0], team.others["rev"]
    item = label(db, a0, pid, "positive")
    base = f"/api/v1/projects/{pid}"
    ann, reviewer = client(db, a0), client(db, rev)

    posted = reviewer.post(f"{base}/items/{item}/comments", json={"body": f"@{a0.username} hi"})
    assert posted.status_code == 201, posted.text
    thread = ann.get(f"{base}/items/{item}/comments")
    assert thread.json() == comments.list_comments(db, a0, pid, item) == [posted.json()]

    opened = ann.post(
        f"{base}/items/{item}/escalations", json={"question": "sarcasm?", "rule_number": "4.2"}
    )
    assert opened.status_code == 201, opened.text
    tid = opened.json()["id"]
    assignee = opened.json()["assignee_id"]
    handler = client(db, next(u for u in team.others.values() if u.user_id == assignee))
    claimed = handler.post(f"{base}/escalations/{tid}/claim")
    assert claimed.status_code == 200, claimed.text
    assert claimed.json() == opened.json()
    answered = handler.post(f"{base}/escalations/{tid}/answer", json={"answer": "per rule 4.2"})
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "answered" and answered.json()["answered_at"]
    listed = ann.get(f"{base}/escalations")
    assert listed.json() == tickets.list_escalations(db, a0, pid) == [answered.json()]
    assert reviewer.get(f"{base}/escalations?state=open").json() == []


def test_revision_bodies_are_the_services_own(db):
    team = feedback_team(db, annotators=1, items=2, overlap=1)
    pid = team.project_id
    item = label(db, team.annotators[0], pid, "positive")
    guidelines.save_draft(db, team.lead, pid, title="v3", body="", rules=RULES)
    lead = client(db, team.lead)
    url = f"/api/v1/projects/{pid}/guidelines/3"
    body = {
        "changelog": "relabel the sarcastic ones",
        "links": {"items": [item]},
        "relabel": {"items": [item], "rules": ["4.2"]},
    }
    published = lead.post(f"{url}/revision", json=body)
    assert published.status_code == 200, published.text
    out = published.json()
    assert out["version"] == 3 and out["relabel"]["item_ids"] == [item]
    assert [r["number"] for r in out["rules"]] == ["1.1", "4.2"]
    links = lead.get(f"{url}/links")
    assert links.status_code == 200, links.text
    assert links.json() == relabel.revision_links(db, pid, 3)
    (record,) = links.json()["relabels"]
    assert record["criteria"] == {
        "rules": ["4.2"],
        "labels": [],
        "items": [item],
        "from_rulings": False,
    }
