"""Whether the queue holds enough gold for the project's gold rates.

Gold is served only where it lies in the queue, in the queue's order (issue 14), so an
annotator cannot get more gold than the open queue holds: with 2 % of the open items gold and a
gold rate of 7 %, about 2 % of what they label is gold. The lead sees this here (settings page,
dashboard, API) instead of finding it in the gold accuracy's wide intervals weeks later.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from labelcrew.db.models.core import Item
from labelcrew.services.projects.projects import load_project
from labelcrew.services.uow import Database


def gold_supply(db: Database, project_id: int) -> dict[str, Any]:
    """Open ordinary and gold items, the gold share of the open queue, and the rates it falls
    short of (``short_of`` lists "gold_rate" and/or "probation_gold_rate"). Gold lying after
    the last open ordinary item (``gold_after_queue``: a gold file imported after the items,
    say) is not served until ordinary items come after it, so it does not count."""
    with db.uow(read_only=True) as uow:
        project = load_project(uow, project_id)
        open_items = (Item.project_id == project.id, Item.state == "open")
        ordinary, last = uow.session.execute(
            select(func.count(), func.max(Item.id)).where(*open_items, Item.is_gold.is_(False))
        ).one()
        gold, after = uow.session.execute(
            select(
                func.count(),
                func.count().filter(Item.id > (last or 0)),
            ).where(*open_items, Item.is_gold.is_(True))
        ).one()
        rates = {
            "gold_rate": float(project.gold_rate),
            "probation_gold_rate": float(project.probation_gold_rate),
        }
    in_queue = int(gold) - int(after)
    share = in_queue / (in_queue + ordinary) if in_queue + ordinary else 0.0
    short_of = [name for name, rate in rates.items() if ordinary and share < rate]
    return {
        "open_items": int(ordinary),
        "open_gold": int(gold),
        "gold_after_queue": int(after),
        "gold_share": share,
        **rates,
        "short_of": short_of,
    }
