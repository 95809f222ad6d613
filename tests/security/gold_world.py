"""A project with gold and ordinary items, built through the HTTP API, for the gold-leak tests
(issue 14): items imported in batches (half the gold in the same file, the other half marked
gold afterwards by the lead), gold at random positions, a gold rate high enough to serve plenty
of it, and a review policy that audits ordinary items."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from labelcrew.domain.permissions import PERMISSIONS, Action, Role
from labelcrew.services.uow import Database
from tests.integration.api.test_route_roles import _action, _api_routes
from tests.integration.feedback_team import client
from tests.integration.team import Team, build, user

OPTIONS = ["positive", "negative", "neutral"]
PHRASES = {
    "positive": ["works perfectly", "would buy again", "love it"],
    "negative": ["broke after two days", "not worth the price", "arrived damaged"],
    "neutral": ["it is a phone case", "arrived on Tuesday", "does what it says"],
}


@dataclass
class World:
    team: Team
    pid: int
    truth: dict[int, str]  # item id -> true sentiment
    gold: set[int]
    token: dict[int, str]  # item id -> a word only its payload holds
    batch_ids: list[int] = field(default_factory=list)

    @property
    def annotator(self) -> Any:
        return self.team.annotators[0]


def gold_world(
    db: Database, *, items: int = 120, gold: int = 40, batches: int = 4, seed: int = 14
) -> World:
    team = build(db, annotators=2, items=0, overlap=1, wip_limit=1)
    pid = team.project_id
    team.others["rev"] = user(db, "rev")
    lead = client(db, team.lead)
    member = {"username": "rev", "roles": ["reviewer"]}
    assert lead.put(f"/api/v1/projects/{pid}/members", json=member).status_code == 200
    base = f"/api/v1/projects/{pid}"
    rng = random.Random(seed)
    positions = set(rng.sample(range(items), gold))
    rows, labels = [], {}
    for i in range(items):
        label = rng.choice(OPTIONS)
        labels[f"ext{i:04d}"] = label
        row: dict[str, Any] = {
            "id": f"ext{i:04d}",
            "data": {"text": f"{rng.choice(PHRASES[label]).capitalize()}. tok{i:04d}q"},
            "batch": f"batch-{i % batches}",
        }
        if i in positions and i % 2 == 0:  # imported gold
            row["gold"] = {"sentiment": label}
        rows.append(row)
    data = b"".join(orjson.dumps(r) + b"\n" for r in rows)
    resp = lead.post(f"{base}/items:import", files={"file": ("items.jsonl", data)})
    assert resp.status_code in (200, 201), resp.text
    listed = lead.get(f"{base}/items", params={"limit": 1000}).json()["items"]
    by_ext = {i["external_id"]: i["id"] for i in listed}
    for i in sorted(positions):
        if i % 2 == 1:  # gold set afterwards, on an item that already sits in a batch
            item_id = by_ext[f"ext{i:04d}"]
            resp = lead.put(
                f"{base}/items/{item_id}/gold",
                json={"value": {"sentiment": labels[f"ext{i:04d}"]}, "rule": "1.1"},
            )
            assert resp.status_code == 200, resp.text
    for key, value in (("gold_rate", 0.6), ("probation_gold_rate", 0.6)):
        assert lead.patch(base, json={key: value}).status_code == 200
    policy = {"audit_rate": 0.2, "probation_audit_rate": 0.2}
    assert lead.put(f"{base}/feedback/settings", json={"review_policy": policy}).status_code == 200
    listed = lead.get(f"{base}/items", params={"limit": 1000}).json()["items"]
    world = World(
        team=team,
        pid=pid,
        truth={i["id"]: labels[i["external_id"]] for i in listed},
        gold={i["id"] for i in listed if i["is_gold"]},
        token={i["id"]: f"tok{i['external_id'][3:]}q" for i in listed},
        batch_ids=sorted({i["batch_id"] for i in listed}),
    )
    assert len(world.gold) == gold and None not in world.batch_ids
    return world


def annotator_get_routes(app: Any) -> list[tuple[str, str]]:
    """Every GET route an annotator may call (the permission table decides), with its action."""
    out = []
    for route in _api_routes(app.routes):
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        action = _action(route)
        if action == "authenticated" or (
            action not in (None, "admin") and Role.ANNOTATOR in PERMISSIONS[Action(action)]
        ):
            out.append((route.path, str(action)))
    return sorted(out)


def fill(path: str, known: dict[str, list[Any]]) -> Iterator[str]:
    """The path with every combination of the values the caller knows for its placeholders."""
    names = re.findall(r"\{(\w+)\}", path)
    if not names:
        yield path
        return
    first = names[0]
    for value in known.get(first, [1]):
        yield from fill(path.replace("{" + first + "}", str(value), 1), known)


def ints_under(doc: Any, keys: tuple[str, ...] = ("item_id", "item_ids")) -> set[int]:
    """Integers under the given keys, and `id`s of objects under an `item` key, anywhere."""
    found: set[int] = set()

    def walk(node: Any, parent: str | None) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in keys and isinstance(v, int):
                    found.add(v)
                elif k in keys and isinstance(v, list):
                    found.update(x for x in v if isinstance(x, int))
                elif k == "id" and parent in ("item", "items") and isinstance(v, int):
                    found.add(v)
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, parent)

    walk(doc, None)
    return found


def body_of(resp: Any) -> Any:
    try:
        return resp.json()
    except ValueError:
        return resp.text


def shape(doc: Any) -> Any:
    """The key structure of a JSON document (keys and types, not values)."""
    if isinstance(doc, dict):
        return tuple(sorted((k, shape(v)) for k, v in doc.items()))
    if isinstance(doc, list):
        return ("list", tuple(sorted({repr(shape(v)) for v in doc})))
    return type(doc).__name__


def hostile_client(db: Database, world: World) -> TestClient:
    return client(db, world.annotator)
