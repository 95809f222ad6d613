"""Comment threads on items and reviews: mentions validated and stored, visibility by role."""

from __future__ import annotations

import pytest

from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.review import comments
from labelcrew.services.review import leases as review_leases
from labelcrew.services.review import reviews as review
from tests.integration.feedback_team import client, events, feedback_team, label


def test_mentions_are_parsed_validated_and_stored(db):
    team = feedback_team(db, annotators=3, items=3)
    pid, rev = team.project_id, team.others["rev"]
    a0, a1, a2 = team.annotators
    item = label(db, a0, pid, "positive")
    note = comments.add_comment(
        db,
        rev,
        pid,
        item,
        body=f"@{a0.username} see rule 4.2, and @qa. please check @{a0.username}",
    )
    assert [m["username"] for m in note["mentions"]] == [a0.username, "qa"]
    assert events(db, "comment.created")[0]["mentions"] == [a0.user_id, team.others["qa"].user_id]
    with pytest.raises(ValidationFailed) as unknown:
        comments.add_comment(db, rev, pid, item, body="ping @ghost")
    assert unknown.value.code == "unknown_mention" and unknown.value.details["mention"] == "ghost"
    with pytest.raises(ValidationFailed) as blind:
        comments.add_comment(db, rev, pid, item, body=f"@{a2.username} have a look")
    assert blind.value.code == "mention_cannot_see_item"
    assert comments.add_comment(db, rev, pid, item, body="mail me at a@b.org")["mentions"] == []
    with pytest.raises(ValidationFailed):
        comments.add_comment(db, rev, pid, item, body="   ")
    assert a1  # a1 never held the item: see the visibility test


def test_annotators_see_threads_only_on_their_items(db):
    team = feedback_team(db, annotators=3, items=3)
    pid, rev = team.project_id, team.others["rev"]
    a0, a1, a2 = team.annotators
    item = label(db, a0, pid, "positive")
    assert label(db, a1, pid, "negative") == item
    comments.add_comment(db, rev, pid, item, body="per rule 4.2 this is tricky")
    comments.add_comment(db, a0, pid, item, body=f"agreed, @{a1.username}?")
    assert [c["author"] for c in comments.list_comments(db, a1, pid, item)] == ["rev", a0.username]
    with pytest.raises(NotFound):
        comments.list_comments(db, a2, pid, item)
    with pytest.raises(NotFound):
        comments.add_comment(db, a2, pid, item, body="let me in")

    lease = review_leases.next_review(db, rev, pid)
    ids = {a["annotator_id"]: a["annotation_id"] for a in lease["annotations"]}
    on_a0 = review.record_review(db, rev, pid, item, annotation_id=ids[a0.user_id],
                                 verdict="accept", rule_refs=["1.1"])["review"]["id"]  # fmt: skip
    comments.add_comment(db, rev, pid, item, review_id=on_a0, body="well done, per rule 1.1")
    comments.add_comment(db, a0, pid, item, review_id=on_a0, body="thanks")
    assert len(comments.list_comments(db, a0, pid, item, review_id=on_a0)) == 2
    assert len(comments.list_comments(db, a0, pid, item)) == 4
    # a1 sees the item thread but not the sub-thread about a0's label
    assert len(comments.list_comments(db, a1, pid, item)) == 2
    with pytest.raises(NotFound):
        comments.list_comments(db, a1, pid, item, review_id=on_a0)
    with pytest.raises(NotFound):
        comments.add_comment(db, a1, pid, item, review_id=on_a0, body="me too")
    assert len(comments.list_comments(db, team.lead, pid, item)) == 4


def test_comment_threads_over_http(db):
    team = feedback_team(db, annotators=2, items=3)
    pid = team.project_id
    a0, a1 = team.annotators
    item = label(db, a0, pid, "positive")
    base = f"/api/v1/projects/{pid}/items/{item}/comments"
    rev, ann0, ann1 = client(db, team.others["rev"]), client(db, a0), client(db, a1)
    posted = rev.post(base, json={"body": f"@{a0.username} per rule 4.2?"})
    assert posted.status_code == 201 and posted.json()["mentions"][0]["user_id"] == a0.user_id
    assert ann0.get(base).json()[0]["body"] == f"@{a0.username} per rule 4.2?"
    assert ann1.get(base).status_code == 404
    bad = rev.post(base, json={"body": "@nobody"})
    assert bad.status_code == 422 and bad.json()["code"] == "unknown_mention"
