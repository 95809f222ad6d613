"""The hot path, part one: hand an annotator their next item, skip it, or release it.

`next_item` is one short unit of work: own unexpired lease first; then the member's claimed
batches; then the open pool by priority, matching skills, still needing labels under the
overlap policy, never one the annotator already did. At the member's gold rate a gold item
takes the ordinary one's place: one lying just before it in the same scan (issue 14: so gold
ids come in the same order as the ordinary ids around them); an offer that finds none waits,
owed, for the next step that has one (issue 21).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from labelcrew.domain.quality import gold as gold_policy
from labelcrew.domain.teamops.seniority import spread_ties, tiers
from labelcrew.errors import Conflict, Forbidden, NotFound
from labelcrew.services.accounts.users import Actor
from labelcrew.services.teamops import privacy
from labelcrew.services.uow import Database, UnitOfWork
from labelcrew.services.work import rows as work_rows
from labelcrew.services.work import writes as work_writes
from labelcrew.services.work.candidates import (
    SCAN,
    candidate_rows,
    gold_in_step,
    has_free_slot,
    lock_item,
    skills_match,
)
from labelcrew.services.work.rows import ItemRow, LeaseRow, MemberRow, ProjectRow

MAX_SCANS = 8


def lease_dict(
    lease: LeaseRow, item: ItemRow, project: ProjectRow, member: MemberRow
) -> dict[str, Any]:
    """What an annotator sees. Gold and ordinary items are shaped exactly alike: no external id,
    no priority, no batch, nothing a gold item could be told apart by."""
    return {
        "assignment_id": lease.id,
        "item": {"id": item.id, "payload": privacy.view(project, item.payload, member.roles)},
        "queue": lease.queue,
        "leased_at": lease.leased_at.isoformat(),
        "expires_at": lease.expires_at.isoformat(),
        "schema_version": project.schema_version,
        "guideline_version": member.acknowledged_guideline_version,
    }


def gate(project: ProjectRow, member: MemberRow | None) -> MemberRow:
    """Who may receive work now: an active annotator who acknowledged the current guideline."""
    if member is None or "annotator" not in member.roles:
        raise Forbidden("only annotators of this project receive work", code="not_an_annotator")
    if member.status == "paused":
        raise Forbidden("your membership is paused; ask your lead", code="member_paused")
    if project.schema_version is None:
        raise Conflict("this project has no label schema yet", code="no_schema")
    if project.guideline_version is not None and (
        member.acknowledged_guideline_version != project.guideline_version
    ):
        raise Forbidden(
            f"acknowledge guideline version {project.guideline_version} before new work",
            code="guideline_ack_required",
            details={"guideline_version": project.guideline_version},
        )
    return member


def _own_lease(
    uow: UnitOfWork, project: ProjectRow, member: MemberRow
) -> tuple[LeaseRow | None, int]:
    """The annotator's oldest live lease (an expired one comes back to them if nobody took the
    slot: stable ownership) and how many live leases they hold. Expired leases met before that
    one, whose slot someone else took, are closed."""
    own: LeaseRow | None = None
    live = 0
    for lease in work_rows.own_leases(uow.conn, project.id, member.user_id):
        if lease.expires_at > uow.now:
            live += 1
            own = own or lease
        elif own is None:
            if _lock_item(uow, lease.item_id, wait=False) and _slot_kept(uow, lease, member):
                lease.expires_at = uow.now + timedelta(seconds=project.lease_seconds)
                work_writes.set_lease(uow.conn, lease.id, "leased", lease.expires_at, None)
                live += 1
                own = lease
            else:
                work_writes.set_lease(uow.conn, lease.id, "expired", lease.expires_at, uow.now)
    return own, live


def _slot_kept(uow: UnitOfWork, lease: LeaseRow, member: MemberRow) -> bool:
    """Whether an expired lease may come back to its holder. Gold has no overlap cap (its
    label count passes the target as everyone answers it), so it always may: closing only
    expired gold leases would tell an annotator which item was gold (issue 14)."""
    if has_free_slot(uow.conn, lease.item_id, member.user_id, uow.now):
        return True
    return work_rows.item(uow.conn, lease.item_id).is_gold


def _lock_item(uow: UnitOfWork, item_id: int, *, wait: bool) -> bool:
    """Lock one item row (PostgreSQL); SQLite's BEGIN IMMEDIATE already serialises us."""
    return uow.db.is_sqlite or lock_item(uow.conn, item_id, wait=wait)


def _take(uow: UnitOfWork, item_id: int, member: MemberRow, *, gold: bool, wait: bool) -> str:
    """Try one candidate inside a savepoint: 'taken' keeps its row lock; 'locked' (someone
    else holds it) and 'refused' (no slot left) roll back, releasing any lock we took.

    On SQLite the candidate scan ran inside this same write transaction (BEGIN IMMEDIATE), so
    what it found is still true: there is nothing to lock or re-check."""
    if uow.db.is_sqlite:
        return "taken"
    savepoint = work_writes.Savepoint(uow.conn)
    if not lock_item(uow.conn, item_id, wait=wait):
        savepoint.rollback()
        return "locked"
    if gold or has_free_slot(uow.conn, item_id, member.user_id, uow.now):
        return "taken"  # the savepoint is left open: the commit releases it with the rest
    savepoint.rollback()
    return "refused"


def _pick(
    uow: UnitOfWork,
    project: ProjectRow,
    member: MemberRow,
    *,
    gold: bool,
    batch_ids: list[int] | None,
) -> tuple[int, int] | None:
    """The best candidate (id, priority)."""
    # Difficulty tiers (seniors: hard first; new members: never hard); gold is never filtered.
    for tier in [None] if gold else tiers(member.level, member.status):
        found = _pick_tier(uow, project, member, gold=gold, batch_ids=batch_ids, tier=tier)
        if found is not None:
            return found
    return None


def _pick_tier(
    uow: UnitOfWork,
    project: ProjectRow,
    member: MemberRow,
    *,
    gold: bool,
    batch_ids: list[int] | None,
    tier: tuple[str, ...] | None,
) -> tuple[int, int] | None:
    """The best candidate this annotator may take, with its priority. The scan itself takes no
    locks; on PostgreSQL each candidate is then locked alone (SKIP LOCKED), and only if every
    free candidate was locked by someone else do we wait for those rows, so a busy moment at
    the end of the queue is never mistaken for an empty queue."""
    busy: list[tuple[int, int]] = []
    for scan in range(MAX_SCANS):
        rows = candidate_rows(
            uow.conn,
            project_id=project.id,
            user_id=member.user_id,
            now=uow.now,
            overlap=project.overlap,
            gold=gold,
            batch_ids=batch_ids,
            tier=tier,
            offset=scan * SCAN,
        )
        fit = [(i, req, p) for i, req, p in rows if not req or skills_match(req, member.skills)]
        if uow.db.is_sqlite and fit:  # serialised anyway: simply the best candidate
            return int(fit[0][0]), int(fit[0][2])
        # The best candidate first (so overlap labels gather on one item); if someone holds it,
        # concurrent annotators fan out over the rest of the top priority (spread_ties).
        for item_id, _, priority in fit[:1] + spread_ties(fit[1:], member.user_id):
            outcome = _take(uow, item_id, member, gold=gold, wait=False)
            if outcome == "taken":
                return int(item_id), int(priority)
            if outcome == "locked":
                busy.append((item_id, priority))
        if len(rows) < SCAN:
            break
    for item_id, priority in busy:
        if _take(uow, item_id, member, gold=gold, wait=True) == "taken":
            return int(item_id), int(priority)
    return None


def _gold_in_step(
    uow: UnitOfWork,
    project: ProjectRow,
    member: MemberRow,
    ordinary: tuple[int, int],
    batch_ids: list[int] | None,
) -> int | None:
    """A gold item lying between the ordinary candidate and the ordinary item before it in the
    same scan. The ordinary candidate keeps its row lock until the commit (PostgreSQL): others
    skip it for that moment, and nothing has been written for it.

    Among the step's gold items, one still under the overlap target comes first, each drawn at
    random for this member (issue 21): lowest id first made every annotator take the same gold
    item, so an item served to more annotators than the overlap was gold for certain."""
    item_id, priority = ordinary
    rows = gold_in_step(
        uow.conn,
        project_id=project.id,
        user_id=member.user_id,
        overlap=project.overlap,
        item_id=item_id,
        priority=priority,
        batch_ids=batch_ids,
    )
    rng, honeypot_rate = uow.db.rng, project.honeypot_rate
    # Honeypots at their own rate: the offer was drawn at gold + honeypot rate, and this draw
    # says which kind it prefers (the other kind if the step has none of it).
    offered = _gold_rate(project, member) + honeypot_rate
    want = None if honeypot_rate <= 0 else rng.random() < honeypot_rate / offered
    # at a honeypot rate of 0 honeypots come with the gold: neither kind is preferred
    ranked = sorted(rows, key=lambda r: (want is not None and r[3] != want, not r[2], rng.random()))
    for gold_id, required, _, _ in ranked:
        if required and not skills_match(required, member.skills):
            continue
        if _take(uow, gold_id, member, gold=True, wait=False) == "taken":
            return int(gold_id)
    return None


def _gold_due(uow: UnitOfWork, project: ProjectRow, member: MemberRow) -> str | None:
    """Onboarding members get only gold (their qualification test); others at their rate."""
    if member.status == "onboarding":
        return "must"
    rate = _gold_rate(project, member) + project.honeypot_rate
    return gold_policy.gold_due(uow.db.rng, min(rate, 1.0), member.gold_owed)


def _gold_rate(project: ProjectRow, member: MemberRow) -> float:
    """The member's own gold rate, or the project's for their membership state."""
    if member.gold_rate is not None:
        return member.gold_rate
    return project.probation_gold_rate if member.status == "probation" else project.gold_rate


def _choose(uow: UnitOfWork, project: ProjectRow, member: MemberRow) -> int | None:
    """The ordinary candidate (claimed batches, then the pool), or the gold item due in its
    place. Gold is never served out of the queue's order, nor once no ordinary item is left:
    either would tell an annotator which item was gold (issue 14). So when gold is due and none
    lies in the step, the ordinary item comes and gold stays due for the next request."""
    due = _gold_due(uow, project, member)
    member.gold_owed = due == "may"  # until a gold item is served (`_lease`)
    if member.status == "onboarding":
        found = _pick(uow, project, member, gold=True, batch_ids=None)
        return None if found is None else found[0]
    ordinary, scope = None, None
    if member.has_claims:
        scope = work_rows.claimed_batches(uow.conn, project.id, member.user_id)
        ordinary = _pick(uow, project, member, gold=False, batch_ids=scope)
    if ordinary is None:
        scope = None
        ordinary = _pick(uow, project, member, gold=False, batch_ids=None)
    if due is None:
        return None if ordinary is None else ordinary[0]
    if ordinary is None:
        return None
    gold_id = _gold_in_step(uow, project, member, ordinary, scope)
    return ordinary[0] if gold_id is None else gold_id


def next_item(
    db: Database, actor: Actor, project_id: int, *, another: bool = False
) -> dict[str, Any]:
    with db.uow(durable=False) as uow:
        found = work_rows.context(uow.conn, project_id, actor.user_id)
        if found is None:
            if not work_rows.project_exists(uow.conn, project_id):
                raise NotFound(f"no project {project_id}", code="project_not_found")
            raise Forbidden("only annotators of this project receive work", code="not_an_annotator")
        project, member, _ = found
        gate(project, member)
        own, live = _own_lease(uow, project, member)
        if own is not None and not another:
            result = lease_dict(own, work_rows.item(uow.conn, own.item_id), project, member)
            uow.commit()
            return result
        wip_limit = member.wip_limit or project.wip_limit
        if live >= wip_limit:
            raise Conflict(
                f"you hold {wip_limit} items already; submit, skip or release one first",
                code="wip_limit_reached",
            )
        item_id = _choose(uow, project, member)
        if item_id is None:
            uow.commit()  # expired leases marked above are worth keeping
            raise NotFound("no item needs your labels right now", code="queue_empty")
        item = work_rows.item(uow.conn, item_id)
        lease = _lease(uow, project, member, item)
        result = lease_dict(lease, item, project, member)
        uow.commit()
        return result


def _lease(uow: UnitOfWork, project: ProjectRow, member: MemberRow, item: ItemRow) -> LeaseRow:
    """Write the lease (re-using the annotator's row for a released item taken up again), count
    the item toward the gold rate, and claim its batch for the annotator."""
    expires = uow.now + timedelta(seconds=project.lease_seconds)
    lease_id, queue = work_writes.write_lease(
        uow.conn,
        project_id=project.id,
        item_id=item.id,
        user_id=member.user_id,
        now=uow.now,
        expires_at=expires,
    )
    served = 0 if item.is_gold else member.served_since_gold + 1
    owed = member.gold_owed and not item.is_gold
    work_writes.set_served_since_gold(uow.conn, member.id, served, owed)
    if item.batch_id is not None:
        work_writes.claim_batch(uow.conn, item.batch_id, member.user_id, uow.now)
    return LeaseRow(lease_id, item.id, queue, "leased", uow.now, expires)
