"""Saving a schema whose hotkeys collide with the workspace's or the review page's keys is
refused through every door (API, settings page, project creation), naming field and key."""

from __future__ import annotations

import pytest

from labelcrew.app import create_app
from labelcrew.errors import ValidationFailed
from labelcrew.services.projects import projects
from tests.integration.feedback_team import client
from tests.integration.pages_client import sign_in
from tests.integration.team import build

CLASH = {
    "fields": [
        {
            "name": "sentiment",
            "kind": "single_choice",
            "options": ["positive", "negative", "skip_me"],
            "hotkeys": {"positive": "p", "negative": "g", "skip_me": "s"},
        }
    ]
}


def test_api_and_settings_page_refuse_a_choice_on_the_skip_key(db):
    team = build(db, annotators=1, items=1)
    pid = team.project_id
    resp = client(db, team.lead).put(f"/api/v1/projects/{pid}/schema", json=CLASH)
    assert resp.status_code == 422
    body = resp.json()
    assert (body["code"], body["field"]) == ("invalid_schema", "fields[0].hotkeys.skip_me")
    assert "skips the item" in body["message"]
    page = sign_in(create_app(db=db), "lead").post(
        f"/projects/{pid}/schema", data={"definition": str(CLASH).replace("'", '"')}
    )
    assert page.status_code == 422
    assert "fields[0].hotkeys.skip_me" in page.text and "skips the item" in page.text
    assert projects.get_schema(db, pid)["version"] == 1  # nothing was saved


def test_creating_a_project_with_a_clash_is_refused(db):
    team = build(db, annotators=0, items=0)
    with pytest.raises(ValidationFailed) as err:
        projects.create_project(db, team.admin, slug="clash", name="Clash", schema=CLASH)
    assert err.value.field == "fields[0].hotkeys.skip_me"
