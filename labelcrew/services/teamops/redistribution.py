"""Redistribution: a lead moves an overloaded or absent member's unstarted work (live leases
and batch claims) to others in one audited action, and an automatic policy does the same
within the limits the lead set (`redistribution` settings: enabled, max_items,
require_skills). The worker runs the policy periodically
(`teamops.redistribute`, listed in services/platform/jobs.py).

A moved lease becomes the target's lease (fresh expiry) when the target has a free WIP slot
and never touched the item; otherwise it goes back to the pool, where anyone may take it.
Expired leases are not work anyone holds: the assignment engine already returns them to the
pool, and nothing here touches them.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from labelcrew.db.models.core import Assignment, BatchClaim, Item, Member, Project
from labelcrew.domain.teamops.seniority import Candidate, plan_moves
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.teamops import settings as teamops_settings
from labelcrew.services.teamops.forecast import load_in
from labelcrew.services.uow import Database, UnitOfWork

log = logging.getLogger("labelcrew.teamops")
AUTO_EVERY_SECONDS = 900.0


def _annotators(uow: UnitOfWork, project_id: int) -> dict[int, Member]:
    members = uow.session.scalars(select(Member).where(Member.project_id == project_id))
    return {m.user_id: m for m in members if "annotator" in m.roles}


def _work_of(
    uow: UnitOfWork, project_id: int, user_id: int, batch_ids: list[int] | None
) -> tuple[list[tuple[int, list[Any], int]], list[Assignment]]:
    """The member's batch claims (batch id, skills its items need, open items) and leases."""
    claims = list(
        uow.session.scalars(
            select(BatchClaim.batch_id)
            .join(Item, Item.batch_id == BatchClaim.batch_id)
            .where(BatchClaim.user_id == user_id, Item.project_id == project_id)
            .distinct()
        )
    )
    if batch_ids is not None:
        claims = [b for b in claims if b in batch_ids]
    units = []
    for batch_id in sorted(claims):
        rows = uow.session.execute(
            select(Item.required_skills).where(
                Item.batch_id == batch_id, Item.state == "open", Item.is_gold.is_(False)
            )
        ).all()
        skills = sorted({str(s) for (req,) in rows for s in req})
        units.append((batch_id, list(skills), max(1, len(rows))))
    query = (
        select(Assignment)
        .join(Item, Item.id == Assignment.item_id)
        .where(
            Assignment.project_id == project_id,
            Assignment.annotator_id == user_id,
            Assignment.state == "leased",
            Assignment.expires_at > uow.now,
        )
        .order_by(Assignment.id)
    )
    if batch_ids is not None:
        query = query.where(Item.batch_id.in_(batch_ids))
    return units, list(uow.session.scalars(query))


def _give_lease(
    uow: UnitOfWork,
    project: Project,
    lease: Assignment,
    target: int | None,
    wip_free: dict[int, int],
) -> int | None:
    """Close the source lease; re-lease the item to the target when possible. Returns who holds
    it now (None: back in the pool)."""
    lease.state, lease.finished_at = "released", uow.now
    if target is None or wip_free.get(target, 0) <= 0:
        return None
    theirs = uow.session.scalar(
        select(Assignment).where(
            Assignment.item_id == lease.item_id, Assignment.annotator_id == target
        )
    )
    if theirs is not None and theirs.state != "released":
        return None  # they labeled, skipped or hold it already
    expires = uow.now + timedelta(seconds=project.lease_seconds)
    if theirs is None:
        uow.session.add(
            Assignment(
                project_id=project.id,
                item_id=lease.item_id,
                annotator_id=target,
                queue=lease.queue,
                state="leased",
                leased_at=uow.now,
                expires_at=expires,
            )
        )
    else:
        theirs.state, theirs.leased_at, theirs.expires_at, theirs.finished_at = (
            "leased",
            uow.now,
            expires,
            None,
        )
    wip_free[target] -= 1
    return target


def _move(
    uow: UnitOfWork,
    project: Project,
    actor_id: int | None,
    source: int,
    *,
    to_users: list[int] | None,
    batch_ids: list[int] | None,
    limit: int,
    require_skills: bool,
    reason: str,
) -> dict[str, Any]:
    members = _annotators(uow, project.id)
    if source not in members:
        raise NotFound(
            f"user {source} is not an annotator here", code="member_not_found", field="from_user"
        )
    settings = teamops_settings.of(project)
    load = {m["user_id"]: m for m in load_in(uow, project.id, settings)["members"]}
    if to_users is not None:
        unknown = [u for u in to_users if u not in members or u == source]
        if unknown:
            raise ValidationFailed(
                f"cannot move work to {unknown}: not other annotators of this project",
                field="to_users",
            )
        pool = to_users
    else:
        pool = [u for u, m in load.items() if u != source and not m["flags"]]
    candidates = [
        Candidate(
            u,
            dict(members[u].skills),
            # A lead naming the targets overrides their computed spare capacity.
            10**9 if to_users is not None else int(load.get(u, {}).get("spare", 0)),
        )
        for u in pool
        if members[u].status in ("active", "probation")
    ]
    claims, leases = _work_of(uow, project.id, source, batch_ids)
    claim_moves = dict(plan_moves(claims, candidates, limit=limit, require_skills=require_skills))
    moved_items = sum(size for b, _, size in claims if b in claim_moves)
    wip_free: dict[int, int] = {}
    for u in pool:
        held = int(load.get(u, {}).get("live_leases", 0))
        wip_free[u] = max(0, (members[u].wip_limit or project.wip_limit) - held)
    report: dict[str, Any] = {"batches": [], "leases": [], "returned_to_pool": []}
    for batch_id, target in sorted(claim_moves.items()):
        uow.session.execute(
            delete(BatchClaim).where(BatchClaim.batch_id == batch_id, BatchClaim.user_id == source)
        )
        if uow.session.get(BatchClaim, (batch_id, target)) is None:
            uow.session.add(BatchClaim(batch_id=batch_id, user_id=target, claimed_at=uow.now))
        report["batches"].append({"batch_id": batch_id, "to": target})
    by_batch: dict[int | None, int] = {b: t for b, t in claim_moves.items()}
    skills_of: dict[int, list[Any]] = dict(
        uow.session.execute(
            select(Item.id, Item.required_skills).where(Item.id.in_([a.item_id for a in leases]))
        ).all()
    )
    batch_of: dict[int, int | None] = dict(
        uow.session.execute(
            select(Item.id, Item.batch_id).where(Item.id.in_([a.item_id for a in leases]))
        ).all()
    )
    loose = [
        (a.item_id, list(skills_of.get(a.item_id) or []), 1)
        for a in leases
        if batch_of.get(a.item_id) not in by_batch
    ]
    lease_targets = dict(
        plan_moves(
            loose, candidates, limit=max(0, limit - moved_items), require_skills=require_skills
        )
    )
    for lease in leases:
        if moved_items >= limit and batch_of.get(lease.item_id) not in by_batch:
            continue
        to = by_batch.get(batch_of.get(lease.item_id)) or lease_targets.get(lease.item_id)
        holder = _give_lease(uow, project, lease, to, wip_free)
        moved_items += 0 if batch_of.get(lease.item_id) in by_batch else 1
        if holder is None:
            report["returned_to_pool"].append(lease.item_id)
        else:
            report["leases"].append({"item_id": lease.item_id, "to": holder})
    report.update(from_user=source, reason=reason, items_moved=moved_items)
    if report["batches"] or report["leases"] or report["returned_to_pool"]:
        audit(
            uow,
            actor_id=actor_id,
            action="work.redistribute",
            entity_type="member",
            entity_id=members[source].id,
            project_id=project.id,
            after=report,
        )
        emit(uow, project_id=project.id, event_type="work.redistributed", payload=report)
    return report


def redistribute(
    db: Database,
    actor: Actor,
    ref: int | str,
    *,
    from_user: int,
    to_users: list[int] | None = None,
    batch_ids: list[int] | None = None,
    max_items: int | None = None,
) -> dict[str, Any]:
    """A lead's move of one member's unstarted work (all of it, or the named batches)."""
    if max_items is not None and max_items < 0:
        raise ValidationFailed("max_items must be >= 0", field="max_items")
    with db.uow() as uow:
        project = load_project(uow, ref)
        report = _move(
            uow,
            project,
            actor.user_id,
            from_user,
            to_users=to_users,
            batch_ids=batch_ids,
            limit=10**9 if max_items is None else max_items,
            require_skills=to_users is None,
            reason="lead",
        )
        uow.commit()
        return report


def auto_redistribute(db: Database, ref: int | str, *, force: bool = False) -> dict[str, Any]:
    """The automatic policy: move work away from flagged members within `max_items` in all,
    only to members with matching skills and spare capacity. Off unless enabled (or forced)."""
    with db.uow() as uow:
        project = load_project(uow, ref)
        settings = teamops_settings.of(project)
        policy = settings["redistribution"]
        if not (policy["enabled"] or force):
            return {"enabled": False, "moves": []}
        budget = int(policy["max_items"])
        flagged = [m for m in load_in(uow, project.id, settings)["members"] if m["flags"]]
        moves = []
        for member in flagged:
            if budget <= 0:
                break
            report = _move(
                uow,
                project,
                None,
                member["user_id"],
                to_users=None,
                batch_ids=None,
                limit=budget,
                require_skills=bool(policy["require_skills"]),
                reason="auto:" + ",".join(member["flags"]),
            )
            budget -= report["items_moved"]
            moves.append(report)
        uow.commit()
        return {"enabled": True, "moves": moves, "budget_left": budget}


def run_auto_redistribution(db: Database) -> None:
    """Periodic job: the automatic policy in every project that enabled it."""
    with db.uow(read_only=True) as uow:
        ids = [
            p.id
            for p in uow.session.scalars(select(Project))
            if teamops_settings.of(p)["redistribution"]["enabled"]
        ]
    for project_id in ids:
        result = auto_redistribute(db, project_id)
        moved = sum(m["items_moved"] for m in result["moves"])
        if moved:
            log.info("auto-redistributed %s item(s) in project %s", moved, project_id)
