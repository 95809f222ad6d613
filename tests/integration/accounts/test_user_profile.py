"""Editing a user: display name and administrator flag (never one's own flag), audited; the
projects a user belongs to; the API route and the administrator's page call the same service."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from labelcrew.db.models.core import AuditEvent
from labelcrew.errors import Conflict, ValidationFailed
from labelcrew.services.accounts import admin as account_admin
from labelcrew.services.accounts import profile
from labelcrew.services.accounts import users as accounts
from tests.integration.team import build
from tests.integration.web.client import signed_in


def test_update_user_changes_what_is_given_and_audits_it(db):
    team = build(db, annotators=1, items=0)
    ann = team.annotators[0]
    out = profile.update_user(db, team.admin, ann.user_id, display_name="  Ann Zero ")
    assert (out.display_name, out.is_admin) == ("Ann Zero", False)
    out = profile.update_user(db, team.admin, ann.user_id, is_admin=True)
    assert (out.display_name, out.is_admin) == ("Ann Zero", True)
    with db.uow(read_only=True) as uow:
        events = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.update").order_by(AuditEvent.id)
        ).all()
    assert [e.after["is_admin"] for e in events] == [False, True]
    assert events[0].before["display_name"] == "ann0"


def test_no_one_takes_their_own_admin_flag_and_names_are_bounded(db):
    team = build(db, annotators=1, items=0)
    with pytest.raises(Conflict) as own:
        profile.update_user(db, team.admin, team.admin.user_id, is_admin=False)
    assert own.value.field == "is_admin"
    assert profile.update_user(db, team.admin, team.admin.user_id, display_name="Boss").is_admin
    with pytest.raises(ValidationFailed) as empty:
        profile.update_user(db, team.admin, team.lead.user_id, display_name="  ")
    assert empty.value.field == "display_name"


def test_memberships_list_projects_and_roles(db):
    team = build(db, annotators=1, items=0)
    [only] = profile.memberships(db, team.lead.user_id)
    assert only["project_id"] == team.project_id
    assert set(only["roles"]) == {"lead", "guideline_owner"}
    assert profile.memberships(db, team.admin.user_id) == []


def test_the_admin_page_and_the_api_edit_a_user(db):
    team = build(db, annotators=1, items=0)
    ann = team.annotators[0]
    admin = signed_in(db, "admin")
    page = admin.get(f"/admin/users/{ann.user_id}").text
    assert 'data-testid="edit-user"' in page and "/projects/1/settings" in page
    saved = admin.post(
        f"/admin/users/{ann.user_id}/edit",
        data={"display_name": "Ann", "is_admin": "true"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert account_admin.get_user(db, ann.user_id).is_admin
    # an unticked box is "not an administrator"
    admin.post(f"/admin/users/{ann.user_id}/edit", data={"display_name": "Ann"})
    assert not account_admin.get_user(db, ann.user_id).is_admin
    own = admin.post(f"/admin/users/{team.admin.user_id}/edit", data={"display_name": "A"})
    assert own.status_code == 409 and "your own administrator rights" in own.text
    patched = admin.patch(f"/api/v1/users/{ann.user_id}", json={"display_name": "Ann Z"})
    assert patched.status_code == 200 and patched.json()["display_name"] == "Ann Z"
    lead = signed_in(db, "lead")
    assert lead.patch(f"/api/v1/users/{ann.user_id}", json={"is_admin": True}).status_code == 403
    assert (
        lead.post(f"/admin/users/{ann.user_id}/edit", data={"display_name": "x"}).status_code == 403
    )
    assert accounts.get_user_by_name(db, "ann0").display_name == "Ann Z"
