"""The guideline editor: numbered rules, the open draft, publish with a changelog, history,
a diff between any two versions, and who has acknowledged the current one."""

from __future__ import annotations

import difflib
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from labelcrew.api.security import db_of
from labelcrew.domain.permissions import Action
from labelcrew.services import guidelines, projects
from labelcrew.web.render import Page, PageRoute, project_page, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


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


@router.get("/projects/{project_id}/guidelines", response_class=HTMLResponse)
def guideline_page(
    project_id: int,
    request: Request,
    diff_from: int | None = None,
    diff_to: int | None = None,
    saved: str = "",
    page: Page = Depends(project_page(Action.GUIDELINE_READ)),
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
    acks = projects.list_members(db, project_id) if page.can(Action.MEMBER_READ) else None
    return render(
        request,
        "guidelines.html",
        page,
        tab="guidelines",
        versions=versions,
        current=current,
        draft=draft,
        editing=draft or current,
        diff=diff,
        acks=acks,
        saved=saved,
    )


@router.post("/projects/{project_id}/guidelines/draft")
async def save_draft(
    project_id: int,
    request: Request,
    page: Page = Depends(project_page(Action.GUIDELINE_EDIT)),
) -> Response:
    form = await request.form()
    numbers, titles, texts = (
        [str(v) for v in form.getlist(key)] for key in ("number", "rule_title", "text")
    )
    rules = [
        {"number": n.strip(), "title": t.strip(), "text": x.strip()}
        for n, t, x in zip(numbers, titles, texts, strict=False)
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
    page: Page = Depends(project_page(Action.GUIDELINE_PUBLISH)),
) -> Response:
    guidelines.publish(db_of(request), page.actor, project_id, version=version, changelog=changelog)
    return redirect(f"/projects/{project_id}/guidelines?saved=published")
