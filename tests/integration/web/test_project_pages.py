"""A new project from the browser: the schema preview parses as creating the project does and
draws the workspace's widgets; the form keeps what was typed when something is wrong."""

from __future__ import annotations

import json

from labelcrew.services.projects import projects
from tests.integration.team import build, user
from tests.integration.web.client import signed_in

SCHEMA = {
    "fields": [
        {
            "name": "topic",
            "kind": "single_choice",
            "options": ["sport", "news"],
            "hotkeys": ["p", "e"],
        },
        {"name": "stars", "kind": "rating", "min": 1, "max": 5, "step": 1},
        {"name": "who", "kind": "spans", "labels": ["PERSON"]},
    ]
}


def test_the_preview_draws_the_workspace_widgets(db):
    build(db, annotators=0, items=0)
    admin = signed_in(db, "admin")
    sample = json.dumps({"text": "Ada met Bob"})
    shown = admin.post(
        "/projects/schema-preview", data={"definition": json.dumps(SCHEMA), "sample": sample}
    )
    assert shown.status_code == 200
    html = shown.text
    assert 'data-testid="preview-topic"' in html and "<kbd>p</kbd> sport" in html
    assert html.count('class="opt"') == 2 + 5  # two options, five rating buttons
    assert 'data-text="Ada met Bob"' in html  # the span field marks the sample's text


def test_the_preview_names_the_bad_path(db):
    build(db, annotators=0, items=0)
    admin = signed_in(db, "admin")
    bad = {
        "fields": [
            {"name": "topic", "kind": "single_choice", "options": ["a", "b"], "hotkeys": ["x"]}
        ]
    }
    shown = admin.post("/projects/schema-preview", data={"definition": json.dumps(bad)})
    assert shown.status_code == 422
    assert "fields[0].hotkeys" in shown.text and "has 1 keys for 2 options" in shown.text
    broken = admin.post("/projects/schema-preview", data={"definition": "{"})
    assert (
        broken.status_code == 422
        and "definition</code>: definition is not valid JSON" in broken.text
    )


def test_admin_creates_a_project_with_its_lead_and_goes_on_to_import(db):
    build(db, annotators=0, items=0)
    user(db, "maria")
    admin = signed_in(db, "admin")
    form = {
        "name": "News topics",
        "slug": "news",
        "lead": "maria",
        "definition": json.dumps(SCHEMA),
    }
    made = admin.post("/projects", data=form, follow_redirects=False)
    assert made.status_code == 303, made.text
    pid = int(made.headers["location"].split("/")[2])
    assert made.headers["location"] == f"/projects/{pid}/import"
    assert projects.get_schema(db, pid)["definition"]["fields"][0]["hotkeys"] == {
        "sport": "p",
        "news": "e",
    }
    roles = {m["username"]: set(m["roles"]) for m in projects.list_members(db, pid)}
    assert roles["maria"] == {"lead", "guideline_owner"}
    again = admin.post("/projects", data=form)
    assert again.status_code == 422
    assert "already exists" in again.text and "News topics" in again.text  # kept what was typed


def test_only_admins_create_projects(db):
    build(db, annotators=0, items=0)
    lead = signed_in(db, "lead")
    assert lead.get("/projects/new").status_code == 403
    form = {"name": "X", "slug": "xx", "definition": json.dumps(SCHEMA)}
    assert lead.post("/projects", data=form).status_code == 403
