"""The guideline editor: numbered rules, the open draft, publish with a changelog, history,
a diff between any two versions, and who has acknowledged the current one.

Publishing may send the items the revision affects back for relabel (`relabel.publish_revision`):
the owner ticks the rules (the changed ones come ticked) and primary-field labels that pick
the items, previews how many items and labels that selects (`relabel_preview`), then publishes.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from labelcrew.domain.permissions import Action
from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.http.auth import db_of
from labelcrew.services.guidelines import relabel, relabel_preview
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.projects import projects
from labelcrew.services.uow import Database
from labelcrew.web.render import Page, PageRoute, project_page, redirect, render, templates

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def example_lines(examples: list[Any]) -> str:
    """A rule's examples as the editor's textarea holds them: one per line; an example that
    is not a one-line string (an object, or text with a line break) is written as JSON."""
    return "\n".join(
        e if isinstance(e, str) and "\n" not in e and not _looks_json(e) else json.dumps(e)
        for e in examples
    )


def _looks_json(line: str) -> bool:
    return line.strip()[:1] in ('"', "{", "[")


def parse_examples(text: str) -> list[Any]:
    """The inverse of `example_lines`, so saving the editor unchanged keeps every example as
    it was: blank lines are dropped, a line that reads as JSON is that JSON value."""
    out: list[Any] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if _looks_json(line):
            try:
                out.append(json.loads(line))
                continue
            except json.JSONDecodeError:
                pass  # a plain example that happens to start with a bracket or a quote
        out.append(line)
    return out


templates.env.filters["example_lines"] = example_lines


def rule_lines(version: dict[str, Any]) -> list[str]:
    """One line per rule, the form a diff reads well in."""
    lines = []
    for r in version["rules"]:
        title = f" [{r['title']}]" if r["title"] else ""
        lines.append(f"{r['number']}{title} {r['text']}")
        lines.extend(f"    e.g. {example}" for example in r["examples"])
    return lines


def diff_versions(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, line) pairs of a unified diff of the rules: kind is add, del, hunk or same."""
    out = []
    for line in difflib.unified_diff(
        rule_lines(old), rule_lines(new), f"v{old['version']}", f"v{new['version']}", lineterm=""
    ):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        out.append((kind, line))
    return out


def _rule_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split("."))


def changed_rules(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Numbers of the rules added, removed, or with another title, text or examples."""

    def by_number(version: dict[str, Any] | None) -> dict[str, Any]:
        rules = version["rules"] if version else []
        return {r["number"]: (r["title"], r["text"], list(r["examples"])) for r in rules}

    before, after = by_number(old), by_number(new)
    changed = (n for n in before.keys() | after.keys() if before.get(n) != after.get(n))
    return sorted(changed, key=_rule_key)


def relabel_choices(
    db: Database, project_id: int, current: dict[str, Any] | None, draft: dict[str, Any]
) -> dict[str, Any]:
    """What the publish form offers to pick items for relabel: every rule of either version
    (changed ones marked) and the values of the schema's primary field, if it has one."""
    titles = {r["number"]: r["title"] for r in (current["rules"] if current else [])}
    titles.update({r["number"]: r["title"] for r in draft["rules"]})
    changed = changed_rules(current, draft)
    rules = [
        {"number": n, "title": titles[n], "changed": n in changed}
        for n in sorted(titles, key=_rule_key)
    ]
    field, labels = None, []
    try:
        schema = LabelSchema.parse(projects.get_schema(db, project_id)["definition"])
    except NotFound:  # no schema yet: rules are the only criterion
        schema = None
    primary = schema.primary_field if schema else None
    if schema and primary:
        field, labels = primary.name, schema.categories(primary.name)
    return {"rules": rules, "changed": changed, "field": field, "labels": labels}


def _editor(
    request: Request,
    project_id: int,
    page: Page,
    *,
    diff_from: int | None = None,
    diff_to: int | None = None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    db = db_of(request)
    versions = guidelines.list_versions(db, project_id)
    current_no = page.project["guideline_version"] if page.project else None
    current = guidelines.get_version(db, project_id, current_no) if current_no else None
    draft_no = next((v["version"] for v in versions if v["status"] == "draft"), None)
    draft = None
    if draft_no is not None and page.can(Action.GUIDELINE_EDIT):
        draft = guidelines.get_version(db, project_id, draft_no)
    published = [v["version"] for v in versions if v["status"] == "published"]
    diff = None
    if len(published) >= 2 or (draft and published):
        new_no = diff_to or (draft_no if draft else published[-1])
        old_no = diff_from or max((v for v in published if v < new_no), default=published[0])
        diff = {
            "from": old_no,
            "to": new_no,
            "lines": diff_versions(
                guidelines.get_version(db, project_id, old_no),
                guidelines.get_version(db, project_id, new_no),
            ),
        }
    choices = None
    if draft and page.can(Action.GUIDELINE_PUBLISH):
        choices = relabel_choices(db, project_id, current, draft)
    acks = projects.list_members(db, project_id) if page.can(Action.MEMBER_READ) else None
    ticked = choices["changed"] if choices else []
    context.setdefault("chosen", {"relabel": False, "rules": ticked, "labels": [], "changelog": ""})
    for name in ("problem", "preview", "saved", "relabelled"):  # the template reads them all
        context.setdefault(name, None)
    return render(
        request,
        "guidelines.html",
        page,
        status_code=status_code,
        tab="guidelines",
        versions=versions,
        current=current,
        draft=draft,
        editing=draft or current,
        diff=diff,
        acks=acks,
        choices=choices,
        sent_back=relabel.revision_links(db, project_id, current_no) if current_no else None,
        **context,
    )


@router.get("/projects/{project_id}/guidelines", response_class=HTMLResponse)
def guideline_page(
    project_id: int,
    request: Request,
    diff_from: int | None = None,
    diff_to: int | None = None,
    saved: str = "",
    relabelled: int | None = None,
    page: Page = Depends(project_page(Action.GUIDELINE_READ)),
) -> Response:
    return _editor(
        request,
        project_id,
        page,
        diff_from=diff_from,
        diff_to=diff_to,
        saved=saved,
        relabelled=relabelled,
    )


@router.post("/projects/{project_id}/guidelines/draft")
async def save_draft(
    project_id: int,
    request: Request,
    page: Page = Depends(project_page(Action.GUIDELINE_EDIT)),
) -> Response:
    form = await request.form()
    numbers, titles, texts, examples = (
        [str(v) for v in form.getlist(key)] for key in ("number", "rule_title", "text", "examples")
    )
    # Every row posts all four fields, so the lists line up. A form that leaves one out (a page
    # from before examples were editable, still open in a tab) is refused rather than saved
    # with that field empty: that is how rule examples used to vanish (issue 17).
    if not len(numbers) == len(titles) == len(texts) == len(examples):
        raise ValidationFailed(
            f"the editor sent {len(numbers)} rule numbers, {len(titles)} titles, "
            f"{len(texts)} texts and {len(examples)} example lists; reload the page and save again",
            field="examples",
        )
    rules = [
        {"number": n.strip(), "title": t.strip(), "text": x.strip(), "examples": parse_examples(e)}
        for n, t, x, e in zip(numbers, titles, texts, examples, strict=True)
        if n.strip() or x.strip()  # the blank row the editor offers for a new rule
    ]
    await run_in_threadpool(
        guidelines.save_draft,
        db_of(request),
        page.actor,
        project_id,
        title=str(form.get("title", "")),
        body=str(form.get("body", "")),
        rules=rules,
    )
    return redirect(f"/projects/{project_id}/guidelines?saved=draft")


@router.post("/projects/{project_id}/guidelines/publish")
def publish(
    project_id: int,
    request: Request,
    version: int = Form(...),
    changelog: str = Form(""),
    step: str = Form("publish"),
    send_back: str = Form("", alias="relabel"),
    relabel_rule: list[str] = Form([]),
    relabel_label: list[str] = Form([]),
    page: Page = Depends(project_page(Action.GUIDELINE_PUBLISH)),
) -> Response:
    """Publish the draft; with "relabel" ticked, through `publish_revision`, which also sends
    the items the ticked rules and labels pick back for relabel. The "preview" step only
    counts what those choices select, and shows the form again as it was filled."""
    db = db_of(request)
    chosen = {
        "relabel": send_back == "yes",
        "rules": relabel_rule,
        "labels": relabel_label,
        "changelog": changelog,
    }
    criteria = {"rules": relabel_rule, "labels": relabel_label}
    if chosen["relabel"] and not (relabel_rule or relabel_label):
        problem = "Tick at least one rule or label to pick the items to relabel."
        return _editor(request, project_id, page, chosen=chosen, problem=problem, status_code=422)
    if step == "preview":
        preview = None
        if chosen["relabel"]:
            preview = relabel_preview.preview_relabel(db, project_id, relabel=criteria)
        return _editor(request, project_id, page, chosen=chosen, preview=preview)
    if not chosen["relabel"]:
        guidelines.publish(db, page.actor, project_id, version=version, changelog=changelog)
        return redirect(f"/projects/{project_id}/guidelines?saved=published")
    done = relabel.publish_revision(
        db, page.actor, project_id, version, changelog, relabel=criteria
    )
    sent = done["relabel"]["items"]
    return redirect(f"/projects/{project_id}/guidelines?saved=published&relabelled={sent}")
