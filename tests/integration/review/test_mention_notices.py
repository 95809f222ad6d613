"""@mentions tell the member mentioned (issue 17: they were stored and nobody was told): an
in-app notice they can list and mark read, and a `comment.mentioned` event for webhooks."""

from __future__ import annotations

from labelcrew.services.review import comments, mentions
from tests.integration.feedback_team import client, events, feedback_team, label


def test_a_mention_gives_a_notice_and_a_webhook_event(db, clock):
    team = feedback_team(db)
    pid, rev, qa = team.project_id, team.others["rev"], team.others["qa"]
    a0 = team.annotators[0]
    item = label(db, a0, pid, "positive")
    note = comments.add_comment(
        db, rev, pid, item, body=f"@{a0.username} per rule 4.2 this is sarcasm; @qa @rev fyi"
    )
    mine = mentions.list_mentions(db, a0, pid)
    assert mine["unread"] == 1
    [notice] = mine["mentions"]
    assert (notice["comment_id"], notice["item_id"], notice["author"]) == (note["id"], item, "rev")
    assert notice["excerpt"].startswith(f"@{a0.username} per rule 4.2") and not notice["read"]
    assert mentions.list_mentions(db, qa, pid)["unread"] == 1
    assert mentions.list_mentions(db, rev, pid)["unread"] == 0  # no notice for oneself
    sent = events(db, "comment.mentioned")
    assert sorted(e["username"] for e in sent) == sorted([a0.username, "qa"])
    assert all(e["comment_id"] == note["id"] and e["item_id"] == item for e in sent)

    # over HTTP: the member lists their notices and marks them read; others' stay unread
    api = client(db, a0)
    body = api.get(f"/api/v1/projects/{pid}/my/mentions").json()
    assert body["unread"] == 1 and body["mentions"][0]["author"] == "rev"
    assert api.post(f"/api/v1/projects/{pid}/my/mentions/read").json() == {"marked": 1}
    again = api.get(f"/api/v1/projects/{pid}/my/mentions").json()
    assert again["unread"] == 0 and again["mentions"][0]["read"] is True
    assert mentions.list_mentions(db, qa, pid)["unread"] == 1


def test_a_comment_without_mentions_notifies_nobody(db):
    team = feedback_team(db)
    pid, rev = team.project_id, team.others["rev"]
    item = label(db, team.annotators[0], pid, "positive")
    comments.add_comment(db, rev, pid, item, body="mail me at a@b.org")
    assert events(db, "comment.mentioned") == []
    assert mentions.list_mentions(db, team.annotators[0], pid) == {"unread": 0, "mentions": []}
