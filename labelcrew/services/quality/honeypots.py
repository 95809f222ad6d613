"""Honeypots: items with an obvious answer, served like any gold item and never shown as such.
A honeypot miss means rushing (attention), a gold miss a knowledge gap, so they are counted,
alerted on and acted on apart (issue 21, part 3); gold answers on honeypots judge no one's
understanding (`gold_scope`).

- `honeypot_report`: per member, honeypot answers, misses and the miss rate.
- `scan_honeypots` (the hourly job): a member who missed `ALERT_MISSES` of their latest
  `WINDOW` honeypots gets a `honeypot_miss` alert, with the effort evidence; one who missed
  `PAUSE_MISSES` of them is paused (project setting `honeypot_pause`, on by default), audited
  and announced like every membership move. Three misses of ten obvious items is far past what
  an attentive member does by chance (a 2 % slip rate gives it with probability 0.001).
- `generate_honeypots`: new honeypots from finished items whose labels are unanimous on every
  required field with at least `min_labels` labels: the item itself becomes a honeypot with that
  answer and is open again. Not a copy: a member who labelled the original would recognise a
  copy's text, and the members who labelled the item are never served it again (they hold an
  assignment on it). Like every gold item it leaves later releases (its labels stay stored).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Annotation, GoldAnswer, Item, Member, User
from labelcrew.domain.quality import false_alarms
from labelcrew.domain.quality.splits import disagreeing
from labelcrew.errors import ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.quality.alerts import raise_alert, was_resolved
from labelcrew.services.quality.effort_evidence import effort_of
from labelcrew.services.quality.gold_scope import HONEYPOT, honeypot_items
from labelcrew.services.quality.hooks import record_move
from labelcrew.services.uow import Database, UnitOfWork

WINDOW = false_alarms.HONEYPOT_WINDOW  # the expected false alarms are computed for these
ALERT_MISSES = false_alarms.HONEYPOT_ALERT
PAUSE_MISSES = 3
PAUSABLE = ("active", "probation")


def _answers(uow: UnitOfWork, project_id: int) -> dict[str, list[tuple[int, bool, int]]]:
    """member -> their honeypot answers, oldest first: (annotation id, right, user id)."""
    rows = uow.session.execute(
        select(Annotation.id, User.username, Annotation.gold_correct, User.id)
        .join(User, User.id == Annotation.annotator_id)
        .where(
            Annotation.project_id == project_id,
            Annotation.gold_correct.is_not(None),
            honeypot_items(project_id),
        )
        .order_by(Annotation.id)
    )
    out: dict[str, list[tuple[int, bool, int]]] = {}
    for annotation_id, name, right, user_id in rows:
        out.setdefault(name, []).append((annotation_id, bool(right), user_id))
    return out


def honeypot_report(db: Database, project_id: int) -> dict[str, dict[str, Any]]:
    """member -> {n, missed, miss_rate, recent_missed (of their latest WINDOW)}."""
    with db.uow(read_only=True) as uow:
        load_project(uow, project_id)
        answers = _answers(uow, project_id)
    return {
        name: {
            "n": len(given),
            "missed": sum(not right for _, right, _ in given),
            "miss_rate": round(sum(not right for _, right, _ in given) / len(given), 4),
            "recent_missed": sum(not right for _, right, _ in given[-WINDOW:]),
        }
        for name, given in sorted(answers.items())
    }


def scan_honeypots(db: Database, project_id: int) -> list[dict[str, Any]]:
    """Alert on (and pause) members who miss honeypots; the alerts raised."""
    with db.uow(read_only=True) as uow:
        project = load_project(uow, project_id)
        answers = _answers(uow, project.id)
        flagged = {
            name: given[-WINDOW:]
            for name, given in answers.items()
            if sum(not right for _, right, _ in given[-WINDOW:]) >= ALERT_MISSES
        }
        field = (
            schema_for(uow, project.id, project.schema_version).primary_field
            if project.schema_version is not None
            else None
        )
        effort = effort_of(uow, project.id, flagged, field.name if field else None)
        pause = bool(project.settings.get("honeypot_pause", True))
    raised = []
    with db.uow() as uow:
        for name, latest in sorted(flagged.items()):
            missed = sum(not right for _, right, _ in latest)
            window = [latest[0][0], latest[-1][0]]
            subject = f"member:{name}"
            if was_resolved(
                uow, project_id=project_id, kind="honeypot_miss", subject=subject, window=window
            ):
                continue
            paused = pause and missed >= PAUSE_MISSES and _pause(uow, project_id, latest, missed)
            evidence = {
                "window": window,
                "missed": missed,
                "of": len(latest),
                "paused": paused,
                "effort": effort.get(name),
            }
            message = (
                f"{name} missed {missed} of their last {len(latest)} honeypots (items with an "
                "obvious answer): attention, not understanding"
                + ("; paused until a lead reactivates them" if paused else "")
            )
            raise_alert(
                uow,
                project_id=project_id,
                kind="honeypot_miss",
                subject=subject,
                message=message,
                evidence=evidence,
            )
            raised.append({"member": name, "message": message, "evidence": evidence})
        uow.commit()
    return raised


def _pause(
    uow: UnitOfWork, project_id: int, latest: list[tuple[int, bool, int]], missed: int
) -> bool:
    member = uow.session.scalar(
        select(Member).where(Member.project_id == project_id, Member.user_id == latest[0][2])
    )
    if member is None or member.status not in PAUSABLE:
        return False
    before, member.status, member.status_since = member.status, "paused", uow.now
    reason = f"missed {missed} of the last {len(latest)} honeypots"
    record_move(uow, project_id, member, before, "paused", reason, {"missed": missed})
    return True


def generate_honeypots(
    db: Database, actor: Actor, ref: int | str, *, limit: int = 20, min_labels: int = 3
) -> list[dict[str, Any]]:
    """Up to `limit` new honeypots from finished, unanimously labelled items (see the module)."""
    if not 1 <= limit <= 1000:
        raise ValidationFailed("limit must be between 1 and 1000", field="limit")
    if min_labels < 2:
        raise ValidationFailed("min_labels must be at least 2", field="min_labels")
    with db.uow() as uow:
        project = load_project(uow, ref)
        if project.schema_version is None:
            raise ValidationFailed("the project has no label schema yet", field="project")
        schema = schema_for(uow, project.id, project.schema_version)
        required = [f.name for f in schema.fields if f.required and f.kind != "text"]
        made: list[dict[str, Any]] = []
        candidates = uow.session.scalars(
            select(Item)
            .where(
                Item.project_id == project.id,
                Item.is_gold.is_(False),
                Item.state == "done",
                Item.annotation_count >= min_labels,
            )
            .order_by(Item.id)
        )
        for item in candidates:
            if len(made) >= limit or not required:
                break
            values = list(
                uow.session.scalars(
                    select(Annotation.value).where(
                        Annotation.item_id == item.id, Annotation.superseded_at.is_(None)
                    )
                )
            )
            full = [v for v in values if all(v.get(n) is not None for n in required)]
            if len(full) < min_labels or len(full) < len(values) or disagreeing(schema, full):
                continue
            answer = {n: full[0][n] for n in required}
            made.append(_make_honeypot(uow, actor, project.id, item, answer))
        uow.commit()
        return made


def _make_honeypot(
    uow: UnitOfWork, actor: Actor, project_id: int, item: Item, answer: dict[str, Any]
) -> dict[str, Any]:
    item.is_gold, item.state = True, "open"
    uow.session.add(
        GoldAnswer(
            item_id=item.id,
            value=answer,
            rule_number=None,
            kind=HONEYPOT,
            created_by=actor.user_id,
            created_at=uow.now,
        )
    )
    audit(
        uow,
        actor_id=actor.user_id,
        action="gold.set",
        entity_type="item",
        entity_id=item.id,
        project_id=project_id,
        after={"value": answer, "kind": HONEYPOT, "generated": True},
    )
    return {"item_id": item.id, "value": answer}
