"""The team page: forecast and capacity, member load and profiles, priorities, cost.

Reads are `forecast.plan`, `forecast.team_load`, `capacity.list_profiles`, `priorities.current`
and `cost.cost_report` (cost only for those who may read it); the forms call `capacity.set_profile`,
`capacity.set_deadline` and `priorities.publish`, each under the action its API route names.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from labelcrew.domain.permissions import Action
from labelcrew.errors import ValidationFailed
from labelcrew.http.auth import db_of
from labelcrew.services.projects import batches
from labelcrew.services.teamops import capacity, cost, forecast, priorities
from labelcrew.web.render import Page, PageRoute, project_page, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/projects/{project_id}/team", response_class=HTMLResponse)
def team_page(
    project_id: int,
    request: Request,
    saved: str = "",
    page: Page = Depends(project_page(Action.TEAMOPS_PLAN)),
) -> Response:
    db = db_of(request)
    return render(
        request,
        "team.html",
        page,
        tab="team",
        plan=forecast.plan(db, project_id),
        load=forecast.team_load(db, project_id),
        profiles=capacity.list_profiles(db, project_id),
        priorities=priorities.current(db, project_id),
        cost=cost.cost_report(db, project_id) if page.can(Action.COST_READ) else None,
        batches=batches.list_batches(db, project_id, counts=False),
        saved=saved,
    )


def _number(value: str, name: str, kind: type[float] | type[int]) -> float | int | None:
    if value.strip() == "":
        return None
    try:
        return kind(value)
    except ValueError:
        what = "a number" if kind is float else "a whole number"
        raise ValidationFailed(f"{name} must be {what}, got {value!r}", field=name) from None


@router.post("/projects/{project_id}/team/profiles/{user_id}")
def save_profile(
    project_id: int,
    user_id: int,
    request: Request,
    weekly_hours: str = Form(""),
    timezone: str = Form(""),
    shift_start: str = Form(""),
    shift_end: str = Form(""),
    hourly_rate: str = Form(""),
    item_rate: str = Form(""),
    page: Page = Depends(project_page(Action.MEMBER_MANAGE)),
) -> Response:
    """Empty fields are left as they are (the service sets the given keys only)."""
    values = {
        "weekly_hours": _number(weekly_hours, "weekly_hours", float),
        "timezone": timezone.strip() or None,
        "shift_start": _number(shift_start, "shift_start", int),
        "shift_end": _number(shift_end, "shift_end", int),
        "hourly_rate": _number(hourly_rate, "hourly_rate", float),
        "item_rate": _number(item_rate, "item_rate", float),
    }
    capacity.set_profile(db_of(request), page.actor, project_id, user_id, values)
    return redirect(f"/projects/{project_id}/team?saved=profile")


@router.post("/projects/{project_id}/team/deadline")
def save_deadline(
    project_id: int,
    request: Request,
    deadline: str = Form(""),
    page: Page = Depends(project_page(Action.PROJECT_UPDATE)),
) -> Response:
    """`deadline` from a datetime-local input, read as UTC (the page says so); empty clears."""
    when = None
    if deadline.strip():
        try:
            when = datetime.fromisoformat(deadline.strip()).replace(tzinfo=UTC)
        except ValueError:
            raise ValidationFailed(
                f"deadline must be a date and time like 2026-12-24T17:00, got {deadline!r}",
                field="deadline",
            ) from None
    capacity.set_deadline(db_of(request), page.actor, project_id, when)
    return redirect(f"/projects/{project_id}/team?saved=deadline")


@router.post("/projects/{project_id}/team/priorities")
def publish_priorities(
    project_id: int,
    request: Request,
    batch_id: list[int] = Form(default=[]),
    priority: list[str] = Form(default=[]),
    reason: str = Form(""),
    page: Page = Depends(project_page(Action.TEAMOPS_MANAGE)),
) -> Response:
    """One row per batch (its id, its priority; an empty priority leaves the batch out);
    the service takes the entries most important first."""
    if len(batch_id) != len(priority):
        raise ValidationFailed("each batch needs its priority field", field="priority")
    entries = [
        {"batch_id": b, "priority": _number(p, "priority", int)}
        for b, p in zip(batch_id, priority, strict=True)
        if p.strip()
    ]
    entries.sort(key=lambda e: -int(e["priority"] or 0))
    priorities.publish(db_of(request), page.actor, project_id, entries=entries, reason=reason)
    return redirect(f"/projects/{project_id}/team?saved=priorities")
