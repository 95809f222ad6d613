"""Team operations on both backends: the plan, load flags and redistribution, handoffs,
difficulty routing, self-check on submit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from labelcrew.db.models.core import Assignment, AuditEvent, BatchClaim, Item
from labelcrew.db.models.teamops import BatchHandoff
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.projects import batches, projects
from labelcrew.services.teamops import capacity, handoffs, redistribution
from labelcrew.services.teamops import forecast as capacity_forecast
from labelcrew.services.teamops import settings as teamops_settings
from labelcrew.services.work import assignment, submission
from tests.integration.team import add_items, build

VALUE = {"sentiment": "positive"}


def _label(db, clock, who, pid, seconds, value=VALUE):
    lease = assignment.next_item(db, who, pid)
    clock.advance(seconds)
    submission.submit(db, who, pid, lease["item"]["id"], value, idempotency_key=None)
    return lease["item"]["id"]


def test_plan_forecast_matches_measured_speed_and_flags_deadline(db, clock):
    team = build(db, annotators=2, items=0)
    pid = team.project_id
    a, b = team.annotators
    add_items(db, pid, 12, overlap=1)
    for who, hours in ((a, 14.0), (b, 7.0)):
        capacity.set_profile(db, team.lead, pid, who.user_id, {"weekly_hours": hours})
    for _ in range(3):
        _label(db, clock, a, pid, 30)  # a: 30 s per label
        _label(db, clock, b, pid, 60)  # b: 60 s per label
    capacity.set_deadline(db, team.lead, pid, clock.now + timedelta(hours=1))
    plan = capacity_forecast.plan(db, pid)
    by_name = {m["username"]: m for m in plan["team"]}
    assert by_name["ann0"]["seconds_per_label"] == 30.0
    assert by_name["ann1"]["seconds_per_label"] == 60.0
    rate = 14 / 7 * 3600 / 30 + 7 / 7 * 3600 / 60  # 240 + 60 labels per day
    assert plan["team_labels_per_day"] == pytest.approx(rate)
    assert plan["project"]["remaining_labels"] == 6
    assert plan["project"]["days_needed"] == pytest.approx(6 / rate, abs=1e-3)
    assert plan["project"]["late"] is False
    capacity.set_deadline(db, team.lead, pid, clock.now + timedelta(minutes=10))
    assert capacity_forecast.plan(db, pid)["late"] == ["project"]  # 6/300 day = 28.8 minutes


def test_batch_forecast_in_queue_order_with_deadline(db, clock):
    team = build(db, annotators=1, items=0)
    pid = team.project_id
    first = batches.create_batch(db, team.lead, pid, name="urgent")
    second = batches.create_batch(db, team.lead, pid, name="later")
    add_items(db, pid, 4, batch_id=first["id"], priority=5)
    add_items(db, pid, 6, start=10, batch_id=second["id"])
    capacity.set_profile(db, team.lead, pid, team.annotators[0].user_id, {"weekly_hours": 7.0})
    teamops_settings.update_settings(
        db, team.lead, pid, {"planning": {"default_seconds_per_label": 360}}
    )
    capacity.set_deadline(db, team.lead, pid, clock.now + timedelta(days=0.5), batch_id=first["id"])
    plan = capacity_forecast.plan(db, pid)  # 10 labels per day
    urgent, later = plan["batches"][:2]
    assert (urgent["name"], later["name"]) == ("urgent", "later")
    assert urgent["days_needed"] == pytest.approx(0.4) and urgent["late"] is False
    assert later["days_needed"] == pytest.approx(1.0)


def test_overload_and_absence_and_lead_redistribution(db, clock):
    team = build(db, annotators=3, items=0)
    pid = team.project_id
    a, b, c = team.annotators
    batch = batches.create_batch(db, team.lead, pid, name="b1")
    add_items(db, pid, 20, batch_id=batch["id"])
    add_items(db, pid, 5, start=100)
    lease = assignment.next_item(db, a, pid)  # a claims b1 through its first item
    capacity.set_profile(db, team.lead, pid, a.user_id, {"weekly_hours": 0.7})  # 1.4 labels/day
    load = {m["username"]: m for m in capacity_forecast.team_load(db, pid)["members"]}
    assert load["ann0"]["live_leases"] == 1 and load["ann0"]["claimed_remaining"] == 19
    assert "overloaded" in load["ann0"]["flags"]
    assert load["ann1"]["flags"] == []
    report = redistribution.redistribute(
        db, team.lead, pid, from_user=a.user_id, to_users=[b.user_id]
    )
    assert report["batches"] == [{"batch_id": batch["id"], "to": b.user_id}]
    assert report["leases"] == [{"item_id": lease["item"]["id"], "to": b.user_id}]
    with db.uow(read_only=True) as uow:
        claims = set(uow.session.scalars(select(BatchClaim.user_id)))
        held = uow.session.scalar(
            select(Assignment.annotator_id).where(
                Assignment.item_id == lease["item"]["id"], Assignment.state == "leased"
            )
        )
        audited = uow.session.scalar(
            select(AuditEvent.after).where(AuditEvent.action == "work.redistribute")
        )
    assert claims == {b.user_id} and held == b.user_id
    assert audited["from_user"] == a.user_id
    assert assignment.next_item(db, b, pid)["item"]["id"] == lease["item"]["id"]
    with pytest.raises(ValidationFailed):
        redistribution.redistribute(db, team.lead, pid, from_user=a.user_id, to_users=[a.user_id])
    with pytest.raises(NotFound):
        redistribution.redistribute(db, team.lead, pid, from_user=team.lead.user_id)
    del c


def test_auto_policy_moves_absent_members_work_within_limits_and_skills(db, clock):
    team = build(db, annotators=3, items=0)
    pid = team.project_id
    a, b, c = team.annotators
    for name in ("ann0", "ann1"):
        projects.set_member(
            db, team.admin, pid, username=name, roles=["annotator"], skills={"de": 2}
        )
    add_items(db, pid, 3, required_skills=["de"])
    for _ in range(3):
        assignment.next_item(db, a, pid, another=True)  # a holds all three (WIP 3)
    assert redistribution.auto_redistribute(db, pid) == {"enabled": False, "moves": []}
    teamops_settings.update_settings(
        db,
        team.lead,
        pid,
        {"redistribution": {"enabled": True, "max_items": 2, "absence_hours": 1}},
    )
    capacity.set_profile(db, team.lead, pid, a.user_id, {"shift_start": 0, "shift_end": 1})
    clock.advance(2 * 3600)  # past a's shift (00-01 UTC... the clock says 11:00), no submit
    with db.uow() as uow:  # keep the leases live: the lead is testing absence, not expiry
        uow.session.execute(update(Assignment).values(expires_at=clock.now + timedelta(hours=1)))
        uow.commit()
    flags = {m["username"]: m["flags"] for m in capacity_forecast.team_load(db, pid)["members"]}
    assert flags["ann0"] == ["absent"]
    result = redistribution.auto_redistribute(db, pid)
    moved = result["moves"][0]
    assert moved["reason"] == "auto:absent" and moved["items_moved"] == 2
    assert {m["to"] for m in moved["leases"]} == {b.user_id}  # only b has the skill
    assert result["budget_left"] == 0
    del c


def test_expired_leases_still_return_to_the_pool(db, clock):
    team = build(db, annotators=2, items=1)
    a, b = team.annotators
    first = assignment.next_item(db, a, team.project_id)
    clock.advance(3600)
    second = assignment.next_item(db, b, team.project_id)
    assert second["item"]["id"] == first["item"]["id"]
    load = {m["username"]: m for m in capacity_forecast.team_load(db, team.project_id)["members"]}
    assert load["ann0"]["live_leases"] == 0 and load["ann1"]["live_leases"] == 1


def test_handoff_note_travels_and_almost_done_unowned_listed(db):
    team = build(db, annotators=1, items=0)
    pid = team.project_id
    batch = batches.create_batch(db, team.lead, pid, name="night-shift")
    add_items(db, pid, 10, batch_id=batch["id"])
    with db.uow() as uow:
        ids = list(uow.session.scalars(select(Item.id).where(Item.batch_id == batch["id"])))
        uow.session.execute(update(Item).where(Item.id.in_(ids[:9])).values(state="done"))
        uow.commit()
    board = handoffs.board(db, pid)
    assert [b["name"] for b in board["almost_done_unowned"]] == ["night-shift"]
    out = handoffs.handoff(
        db, team.lead, pid, batch["id"], to_owner="lead", note="9/10 done; x9 left"
    )
    assert out["owner"] == "lead" and out["handoff_note"] == "9/10 done; x9 left"
    handoffs.handoff(db, team.lead, pid, batch["id"], to_owner="ann0", note="over to Manila")
    hist = handoffs.history(db, pid, batch["id"])
    assert [(h["from"], h["to"]) for h in hist["history"]] == [(None, "lead"), ("lead", "ann0")]
    assert hist["handoff_note"] == "over to Manila" and hist["state"] == "open"
    assert handoffs.board(db, pid)["almost_done_unowned"] == []
    with pytest.raises(ValidationFailed):
        handoffs.handoff(db, team.lead, pid, batch["id"], to_owner="lead", note=" ")
    with pytest.raises(NotFound):
        handoffs.handoff(db, team.lead, pid, batch["id"], to_owner="nobody", note="x")
    with db.uow(read_only=True) as uow:
        assert len(uow.session.scalars(select(BatchHandoff)).all()) == 2
