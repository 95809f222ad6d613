"""The guideline editor page saves what it shows (issue 17): posting the form unchanged keeps
each rule's examples and the introduction, so no rule counts as changed and the relabel step
ticks none; an edited example is saved as edited."""

from __future__ import annotations

from labelcrew.app import create_app
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.web.pages_guidelines import changed_rules, example_lines, parse_examples
from tests.integration.pages_client import as_form, form_fields, sign_in
from tests.integration.team import build

RULES = [
    {
        "number": "2.1",
        "title": "Sarcasm",
        "text": "Sarcastic praise is negative.",
        "examples": ["Great, another update that deletes my files.", "Oh wonderful, it broke."],
    },
    {
        "number": "2.2",
        "title": "",
        "text": "Structured examples survive too.",
        "examples": [{"text": "meh", "label": "neutral"}, "[not json, a plain example"],
    },
]


def _published_team(db):
    team = build(db, annotators=1, items=1)
    pid = team.project_id
    guidelines.save_draft(db, team.lead, pid, title="v2", body="Read me first.", rules=RULES)
    guidelines.publish(db, team.lead, pid, version=2, changelog="sarcasm")
    return team


def test_saving_the_editor_unchanged_keeps_examples_and_changes_no_rule(db):
    team = _published_team(db)
    pid = team.project_id
    client = sign_in(create_app(db=db), "lead")
    page = client.get(f"/projects/{pid}/guidelines")
    assert page.status_code == 200
    fields = form_fields(page.text, "rule-editor")
    saved = client.post(
        f"/projects/{pid}/guidelines/draft", data=as_form(fields), follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    current = guidelines.get_version(db, pid, 2)
    draft = guidelines.get_version(db, pid, 3)
    assert draft["rules"] == current["rules"]
    assert draft["body"] == "Read me first."
    assert changed_rules(current, draft) == []
    # the publish form then ticks no rule for relabel
    publish_form = client.get(f"/projects/{pid}/guidelines").text
    assert 'name="relabel_rule" value="2.1" checked' not in publish_form
    assert 'name="relabel_rule" value="2.2" checked' not in publish_form


def test_an_edited_example_is_saved_and_only_its_rule_changes(db):
    team = _published_team(db)
    pid = team.project_id
    client = sign_in(create_app(db=db), "lead")
    fields = form_fields(client.get(f"/projects/{pid}/guidelines").text, "rule-editor")
    first = next(i for i, (k, _) in enumerate(fields) if k == "examples")
    fields[first] = ("examples", "Great, another update that deletes my files.\n\n")
    client.post(f"/projects/{pid}/guidelines/draft", data=as_form(fields), follow_redirects=False)
    draft = guidelines.get_version(db, pid, 3)
    assert draft["rules"][0]["examples"] == ["Great, another update that deletes my files."]
    assert changed_rules(guidelines.get_version(db, pid, 2), draft) == ["2.1"]


def test_a_form_without_examples_is_refused_not_saved_empty(db):
    team = _published_team(db)
    pid = team.project_id
    client = sign_in(create_app(db=db), "lead")
    fields = form_fields(client.get(f"/projects/{pid}/guidelines").text, "rule-editor")
    old_form = [(k, v) for k, v in fields if k != "examples"]
    refused = client.post(f"/projects/{pid}/guidelines/draft", data=as_form(old_form))
    assert refused.status_code == 422 and "example lists" in refused.text
    assert [v["version"] for v in guidelines.list_versions(db, pid)] == [1, 2]


def test_example_lines_round_trip():
    examples = ["plain", {"a": 1}, ["x"], '"quoted"', "two\nlines", "[bracket"]
    assert parse_examples(example_lines(examples)) == examples
