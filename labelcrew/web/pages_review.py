"""The review queue page and the escalation inbox.

The review page leases the reviewer's item through `review_leases.next_review` (their own
unexpired lease comes back first, so reloading is safe) and shows every live label with its
annotator, why the item is queued and how the labels split; `review.js` records one review per
label through the JSON API (session cookie + CSRF header) and shows the server's warnings.
The inbox lists escalation tickets through `escalations.list_escalations`; its forms post to
the JSON escalation routes, which apply the same permission table as this page.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from labelcrew.domain.permissions import Action
from labelcrew.domain.quality.splits import field_splits
from labelcrew.domain.schema.label_schema import LabelSchema
from labelcrew.errors import NotFound
from labelcrew.http.auth import db_of
from labelcrew.services.escalations import tickets as escalations
from labelcrew.services.guidelines import versions as guidelines
from labelcrew.services.projects import items, projects
from labelcrew.services.review import leases as review_leases
from labelcrew.services.review import taxonomy
from labelcrew.services.teamops import privacy
from labelcrew.web.render import Page, PageRoute, project_page, render
from labelcrew.web.widgets import fields_of, shown_payload

router = APIRouter(route_class=PageRoute, include_in_schema=False)

REASON_TEXT = {
    "disagreement": "the overlap labels disagree",
    "audit": "random quality audit",
    "gold_miss": "the label missed the gold answer",
    "flag": "an annotator flagged the item",
}
COUNTED = ("single_choice", "rating")  # kinds whose answers the page counts by value
MAX_ITEMS_SHOWN = 50  # items read for the inbox, one read each
STATE_FILTERS = ("waiting", "all", "open", "answered", "escalated", "resolved")


def current_rules(request: Request, project_id: int) -> list[dict[str, Any]]:
    try:
        return list(guidelines.get_version(db_of(request), project_id)["rules"])
    except NotFound:
        return []


def split_of(definition: dict[str, Any], annotations: list[dict[str, Any]]) -> dict[str, Any]:
    """How the live labels split, field by field (`domain.quality.splits`): each compared
    field's agreement, the share with the most common answer and, for choices and ratings, the
    answers counted. `agree` is true when no field disagrees."""
    schema = LabelSchema.parse(definition)
    values = [a["value"] for a in annotations]
    rows = []
    for split in field_splits(schema, values):
        counted = schema.field(split.field).kind in COUNTED
        counts = (
            Counter(str(v[split.field]) for v in values if v.get(split.field) is not None)
            if counted
            else Counter()
        )
        rows.append({**split.to_dict(), "agree": split.agrees, "counts": counts.most_common()})
    return {
        "fields": rows,
        "disagree": [r["field"] for r in rows if not r["agree"]],
        "agree": all(r["agree"] for r in rows),
    }


def reason_lines(reasons: list[dict[str, Any]], names: dict[int, str]) -> list[dict[str, str]]:
    out = []
    for r in reasons:
        who = names.get(int(r["annotator_id"]), "") if r.get("annotator_id") else ""
        text = REASON_TEXT.get(r["kind"], r["kind"])
        if r.get("reason"):
            text += f": “{r['reason']}”"
        out.append({"kind": r["kind"], "text": text, "who": who})
    return out


@router.get("/projects/{project_id}/review", response_class=HTMLResponse)
def review_page(
    project_id: int,
    request: Request,
    page: Page = Depends(project_page(Action.REVIEW_WORK)),
) -> Response:
    db = db_of(request)
    try:
        lease = review_leases.next_review(db, page.actor, project_id)
    except NotFound as exc:
        if exc.code != "review_queue_empty":
            raise
        return render(request, "review.html", page, tab="review", lease=None, empty=exc.message)
    schema = projects.get_schema(db, project_id, lease["schema_version"])
    payload = lease["item"]["payload"]
    fields = fields_of(schema["definition"], payload)
    names = {m["user_id"]: m["username"] for m in projects.list_members(db, project_id)}
    return render(
        request,
        "review.html",
        page,
        tab="review",
        lease=lease,
        empty=None,
        fields=fields,
        by_name={f["name"]: f for f in fields},
        extra=shown_payload(payload, fields),
        split=split_of(schema["definition"], lease["annotations"]),
        reasons=reason_lines(lease["task"]["reasons"], names),
        tags=taxonomy.list_tags(db, project_id),
        rules=current_rules(request, project_id),
    )


@router.get("/projects/{project_id}/escalations", response_class=HTMLResponse)
def escalation_inbox(
    project_id: int,
    request: Request,
    state: str = "waiting",
    page: Page = Depends(project_page(Action.ESCALATION_READ)),
) -> Response:
    db = db_of(request)
    state = state if state in STATE_FILTERS else "waiting"
    chosen = None if state in ("waiting", "all") else state
    tickets = escalations.list_escalations(db, page.actor, project_id, state=chosen)
    if state == "waiting":
        tickets = [t for t in tickets if t["state"] in escalations.WAITING]
    names: dict[int, str] = {}
    if page.can(Action.MEMBER_READ):
        names = {m["user_id"]: m["username"] for m in projects.list_members(db, project_id)}
    payloads: dict[int, dict[str, Any]] = {}
    if page.can(Action.ITEM_READ):  # the item beside the question, masked as item reads are
        viewer = privacy.Viewer(page.roles, page.actor.is_admin)
        for item_id in list(dict.fromkeys(t["item_id"] for t in tickets))[:MAX_ITEMS_SHOWN]:
            found = items.get_item(db, project_id, item_id, with_gold=False, viewer=viewer)
            payloads[item_id] = found["payload"]
    return render(
        request,
        "escalations.html",
        page,
        tab="escalations",
        tickets=tickets,
        names=names,
        payloads=payloads,
        state=state,
        states=STATE_FILTERS,
        rules=current_rules(request, project_id),
        overdue=sum(1 for t in tickets if t["overdue"]),
    )
