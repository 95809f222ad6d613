"""A project whose labels a guideline revision can send back: two annotators label four items,
disagree on item 1, whose review cites rule 1.1, and the lead drafts v2 rewording rule 1.1 and
adding 1.2. Used by the relabel preview tests and the guideline editor's browser test."""

from __future__ import annotations

from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.projects import projects
from labelcrew.services.review import leases as review_leases
from labelcrew.services.review import reviews as review
from labelcrew.services.uow import Database
from labelcrew.services.work import assignment, submission
from tests.integration.team import Team, build, user

RULES_V2 = [
    {"number": "1.1", "text": "Label the overall sentiment of the whole review."},
    {"number": "1.2", "text": "Sarcasm counts as negative."},
]


def labelled_team(db: Database) -> Team:
    """Labels as [positive, positive, positive, positive] and [negative, positive, ...]."""
    team = build(db, annotators=2, items=4, overlap=2)
    pid = team.project_id
    answers = [["positive"] * 4, ["negative", "positive", "positive", "positive"]]
    for annotator, values in zip(team.annotators, answers, strict=True):
        for _ in values:
            item_id = assignment.next_item(db, annotator, pid)["item"]["id"]
            value = {"sentiment": values[item_id - 1]}
            submission.submit(db, annotator, pid, item_id, value, idempotency_key=None)
    rev = user(db, "rev")
    projects.set_member(db, team.admin, pid, username="rev", roles=["reviewer"])
    lease = review_leases.next_review(db, rev, pid)
    assert lease["item"]["id"] == 1
    first = lease["annotations"][0]["annotation_id"]
    review.record_review(
        db, rev, pid, 1, verdict="accept", annotation_id=first, rule_refs=["1.1"], comment=""
    )
    guidelines.save_draft(db, team.lead, pid, title="v2", body="", rules=RULES_V2)
    return team
