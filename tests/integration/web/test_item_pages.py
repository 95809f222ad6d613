"""The item browser and item pages answer with what the services hold, to the roles the
permission table names; the API's item list takes the same filters."""

from __future__ import annotations

import re

import pytest

from labelcrew.services.projects import projects
from labelcrew.services.review import comments, leases, reviews
from tests.integration.browse_team import browse_team
from tests.integration.team import user
from tests.integration.web.client import signed_in


@pytest.fixture
def labelled(db):
    team, it = browse_team(db)
    user(db, "rev")
    projects.set_member(db, team.admin, team.project_id, username="rev", roles=["reviewer"])
    return team, it


def rows(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-item="(\d+)"', html)]


def test_the_browser_filters_and_pages(db, labelled):
    team, it = labelled
    pid = team.project_id
    lead = signed_in(db, "lead")
    every = lead.get(f"/projects/{pid}/items")
    assert every.status_code == 200
    assert len(rows(every.text)) == 6
    assert rows(lead.get(f"/projects/{pid}/items?disagreement=1").text) == [it["a"]]
    assert rows(lead.get(f"/projects/{pid}/items?gold=yes").text) == [it["gold"]]
    batch = lead.get(f"/projects/{pid}/items?batch={it['batch_id']}&state=open")
    assert rows(batch.text) == it["batch"]
    assert rows(lead.get(f"/projects/{pid}/items?annotator=ann0&guideline=2").text) == [it["c"]]
    # the empty fields of the filter form mean "any"
    blank = lead.get(f"/projects/{pid}/items?state=&batch=&gold=&annotator=&guideline=")
    assert len(rows(blank.text)) == 6
    bad = lead.get(f"/projects/{pid}/items?batch=first")
    assert bad.status_code == 422 and "batch must be a whole number" in bad.text


def test_pagination_keeps_the_filters(db, labelled, monkeypatch):
    from labelcrew.web import pages_items

    team, _ = labelled
    pid = team.project_id
    monkeypatch.setattr(pages_items, "PAGE_SIZE", 2)
    lead = signed_in(db, "lead")
    first = lead.get(f"/projects/{pid}/items?gold=no").text
    assert len(rows(first)) == 2
    following = re.search(r'href="([^"]+)" rel="next"', first)
    assert following and "gold=no" in following[1] and "offset=2" in following[1]
    second = lead.get(f"/projects/{pid}/items" + following[1].replace("&amp;", "&")).text
    assert len(rows(second)) == 2 and set(rows(second)).isdisjoint(rows(first))
    assert 'rel="prev"' in second


def test_the_item_page_shows_labels_reviews_comments_and_history(db, labelled):
    team, it = labelled
    pid = team.project_id
    task = leases.next_review(db, team.lead, pid)
    assert task["item"]["id"] == it["a"]
    first = task["annotations"][0]["annotation_id"]
    reviews.record_review(db, team.lead, pid, it["a"], verdict="accept", annotation_id=first)
    comments.add_comment(db, team.lead, pid, it["a"], body="Sarcasm? check rule 1.1")
    lead = signed_in(db, "lead")
    html = lead.get(f"/projects/{pid}/items/{it['a']}").text
    labels = html.split('data-testid="item-labels"')[1].split("</table>")[0]
    assert "ann0" in labels and "ann1" in labels and "negative" in labels
    assert "accept" in html.split('data-testid="item-reviews"')[1]
    assert "Sarcasm? check rule 1.1" in html
    history = html.split('data-testid="item-history"')[1].split("</table>")[0]
    assert "review" in history and "comment" in history
    assert 'data-testid="gold-form"' in html  # the lead manages gold


def test_reviewers_read_items_without_gold_or_history_and_annotators_not_at_all(db, labelled):
    team, it = labelled
    pid = team.project_id
    rev = signed_in(db, "rev")
    html = rev.get(f"/projects/{pid}/items/{it['gold']}").text
    assert 'data-testid="gold-form"' not in html and 'data-testid="item-history"' not in html
    assert rev.get(f"/api/v1/projects/{pid}/items/{it['a']}/history").status_code == 403
    ann = signed_in(db, "ann0")
    assert ann.get(f"/projects/{pid}/items").status_code == 403
    assert ann.get(f"/projects/{pid}/items/{it['a']}").status_code == 403
    assert ann.get(f"/projects/{pid}/import").status_code == 403
    assert signed_in(db, "lead").get(f"/projects/{pid}/import").status_code == 200


def test_the_api_lists_items_under_the_same_filters(db, labelled):
    team, it = labelled
    pid = team.project_id
    lead = signed_in(db, "lead")
    found = lead.get(f"/api/v1/projects/{pid}/items", params={"disagreement": True}).json()
    assert found["total"] == 1 and found["items"][0]["id"] == it["a"]
    none = lead.get(f"/api/v1/projects/{pid}/items", params={"batch_id": 0, "gold": False})
    assert none.json()["total"] == 3  # a, b and c
    history = lead.get(f"/api/v1/projects/{pid}/items/{it['gold']}/history").json()
    assert [e["action"] for e in history] == ["gold.set"]
