"""What the workspace page reads beside a lease: the schema and the rules in one unit of indexed
lookups, the same as the general reads return, and no statement that grows with the project
(a count over annotations or items) on a page load."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from labelcrew.app import create_app
from labelcrew.errors import NotFound
from labelcrew.services.accounts import users as accounts
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.projects import projects
from labelcrew.services.work import assignment, submission
from labelcrew.services.work import workspace_view as view
from tests.integration.team import SCHEMA, build

RULES = [
    {"number": "10.1", "text": "Numbered after 2 and 9."},
    {"number": "2.1", "text": "Comes first.", "examples": ["an example"]},
    {"number": "9", "text": "Comes second."},
]


def test_lease_view_reads_the_schema_and_the_rules_in_number_order(db):
    team = build(db, annotators=1, items=1)
    pid = team.project_id
    guidelines.save_draft(db, team.lead, pid, title="v2", body="", rules=RULES)
    guidelines.publish(db, team.lead, pid, version=2, changelog="renumbered")
    got = view.lease_view(db, pid, 1, 2)
    assert got["definition"] == projects.get_schema(db, pid, 1)["definition"]
    assert got["rules"] == guidelines.get_version(db, pid, 2)["rules"]
    assert [r["number"] for r in got["rules"]] == ["2.1", "9", "10.1"]
    assert got["rules"][0]["examples"] == ["an example"]
    assert view.lease_view(db, pid, 1, 1)["rules"][0]["text"] == "Label the overall sentiment."
    assert view.lease_view(db, pid, 1, None)["rules"] == []
    assert view.lease_view(db, pid, 1, 7)["rules"] == []  # no such version: nothing to show


def test_lease_view_names_a_missing_schema_version(db):
    team = build(db, annotators=1, items=0)
    with pytest.raises(NotFound) as missing:
        view.lease_view(db, team.project_id, 5, None)
    assert missing.value.code == "schema_not_found"
    stored = view.lease_view(db, team.project_id, 1, None)["definition"]
    assert [f["name"] for f in stored["fields"]] == [f["name"] for f in SCHEMA["fields"]]


def test_a_workspace_page_load_counts_nothing(db):
    team = build(db, annotators=1, items=5)
    pid, ann = team.project_id, team.annotators[0]
    item_id = assignment.next_item(db, ann, pid)["item"]["id"]
    submission.submit(db, ann, pid, item_id, {"sentiment": "neutral"}, idempotency_key="k")
    token = accounts.issue_token(db, None, user_id=ann.user_id)
    client = TestClient(create_app(db=db), headers={"Authorization": f"Bearer {token}"})
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_rest) -> None:  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.lower().split()))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        page = client.get(f"/projects/{pid}/work")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert page.status_code == 200 and 'data-testid="item-id"' in page.text
    assert "Label the overall sentiment." in page.text
    assert statements, "the page ran no SQL at all?"
    counts = [s for s in statements if s.startswith("select count(")]  # per row, not per page
    assert counts == []
