"""Team operations in the demo project: levels, availability across time zones and rates,
deadlines, self-check rules and a checklist, a sensitive field, priorities, a handoff and the
weekly cadence, all made through the services the API uses."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from labelcrew.db.models.core import Batch, Item, User
from labelcrew.services.accounts.users import Actor
from labelcrew.services.teamops import capacity, handoffs, priorities
from labelcrew.services.teamops import settings as teamops_settings
from labelcrew.services.uow import Database

PROFILES = {
    "ana": {"level": "senior", "weekly_hours": 40, "timezone": "Asia/Manila", "hourly_rate": 7.5},
    "ben": {"weekly_hours": 30, "timezone": "Europe/Lisbon", "hourly_rate": 28.0},
    "chen": {"weekly_hours": 40, "timezone": "Asia/Manila", "item_rate": 0.08},
    "dara": {"weekly_hours": 20, "timezone": "America/Bogota", "hourly_rate": 9.0},
    "eli": {"level": "senior", "weekly_hours": 25, "timezone": "Europe/Berlin", "item_rate": 0.2},
}


def seed_teamops(db: Database, project_id: int) -> dict[str, object]:
    with db.uow() as uow:
        names = dict(uow.session.execute(select(User.username, User.id)).all())
        batch_ids = list(
            uow.session.scalars(
                select(Batch.id).where(Batch.project_id == project_id).order_by(Batch.id)
            )
        )
        # Give the demo batches some items so forecasts, priorities and handoffs show. Gold
        # items go into batches like the others: an unbatched item would be known as gold.
        open_ids = list(
            uow.session.scalars(
                select(Item.id)
                .where(Item.project_id == project_id, Item.state == "open")
                .order_by(Item.id)
            )
        )
        for i, item_id in enumerate(open_ids):
            item = uow.session.get(Item, item_id)
            assert item is not None
            if batch_ids and item.batch_id is None:
                item.batch_id = batch_ids[i % len(batch_ids)]
            if i % 7 == 0:
                item.payload = {**item.payload, "customer_email": f"buyer{i}@example.com"}
        uow.commit()
    lead = Actor(names["lead"], "lead", False)
    for name, values in PROFILES.items():
        if name in names:
            capacity.set_profile(db, lead, project_id, names[name], dict(values))
    now = db.clock()
    capacity.set_deadline(db, lead, project_id, now + timedelta(days=5))
    for k, batch_id in enumerate(batch_ids):
        capacity.set_deadline(db, lead, project_id, now + timedelta(days=1 + k), batch_id=batch_id)
    teamops_settings.update_settings(
        db,
        lead,
        project_id,
        {
            "selfcheck": [
                {
                    "id": "neg-why",
                    "kind": "min_words",
                    "field": "rationale",
                    "min": 3,
                    "if": {"field": "sentiment", "equals": "negative"},
                    "message": "say in 3+ words why a review is negative (rule 2.1 sarcasm?)",
                }
            ],
            "checklist": [{"id": "read-all", "text": "I read the whole review", "required": False}],
            "sensitive_fields": [{"field": "customer_email", "mode": "mask", "roles": ["lead"]}],
            "redaction": {"kinds": ["email", "phone"], "terms": []},
            "redistribution": {"enabled": True, "max_items": 20},
            "batch_size_limit": 500,
        },
    )
    if batch_ids:
        priorities.publish(
            db,
            lead,
            project_id,
            entries=[
                {"batch_id": batch_ids[-1], "priority": 5, "reason": "client review on Thursday"},
                {"batch_id": batch_ids[0], "priority": 2, "reason": "then the backlog"},
            ],
            reason="Monday priorities: the client batch first",
        )
        handoffs.handoff(
            db,
            lead,
            project_id,
            batch_ids[0],
            to_owner="olga",
            note="Manila shift done: first half labeled, sarcasm cases flagged for senior review.",
        )
    for kind, weekday, hour in (
        ("priorities", 0, 9),
        ("calibration", 2, 15),
        ("release_notes", 4, 16),
    ):
        priorities.set_cadence(db, lead, project_id, kind=kind, weekday=weekday, hour=hour)
    return {"profiles": len(PROFILES), "batches": len(batch_ids)}
