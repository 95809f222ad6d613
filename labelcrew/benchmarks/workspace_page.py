"""Server time of the annotator workspace page with many items in the project.

Seeds a fresh database (SQLite file by default, or `--database-url`) with one project of N
items, signs an annotator in through the sign-in form, then repeats: GET the workspace page
(leases a new item through `assignment.next_item`, renders the schema widgets and the rules),
submit a label through the JSON API. Times each page GET in-process (ASGI app, no network),
which is the server's time for the page. Prints JSON: median, p90 and max in milliseconds,
against the issue's 100 ms goal.

    python -m labelcrew.benchmarks.workspace_page --items 1000000 --pages 200
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from labelcrew.services.uow import Database

GOAL_MS = 100.0
PASSWORD = "bench-password-1"


def seed(db: Database, n_items: int) -> int:
    from labelcrew.db.models import Item
    from labelcrew.services import accounts, guidelines, projects
    from labelcrew.services.accounts import Actor

    out = accounts.create_user(db, None, username="admin", password=PASSWORD, is_admin=True)
    admin = Actor(out.id, out.username, out.is_admin)
    ann_out = accounts.create_user(db, None, username="ann", password=PASSWORD)
    ann = Actor(ann_out.id, ann_out.username, ann_out.is_admin)
    schema = {
        "fields": [
            {"name": "sentiment", "kind": "single_choice", "options": ["pos", "neg", "neu"]},
            {"name": "note", "kind": "text", "required": False},
        ]
    }
    project = projects.create_project(
        db, admin, slug="bench", name="Bench", schema=schema, gold_rate=0.0, overlap=1
    )
    pid = project["id"]
    projects.set_member(db, admin, pid, username="ann", roles=["annotator"])
    projects.set_member(db, admin, pid, username="admin", roles=["lead", "guideline_owner"])
    rules = [
        {"number": f"{i}.1", "text": f"Rule {i} text for the benchmark."} for i in range(1, 21)
    ]
    guidelines.save_draft(db, admin, pid, title="v1", body="", rules=rules)
    guidelines.publish(db, admin, pid, version=1, changelog="first")
    guidelines.acknowledge(db, ann, pid, version=1)
    chunk = 50_000
    for start in range(0, n_items, chunk):
        with db.uow() as uow:
            uow.session.execute(
                insert(Item),
                [
                    {
                        "project_id": pid,
                        "external_id": f"x{i}",
                        "payload": {"text": f"item number {i}: some review text to label"},
                        "priority": i % 7,
                        "required_skills": [],
                        "overlap_target": 1,
                        "created_at": uow.now,
                    }
                    for i in range(start, min(start + chunk, n_items))
                ],
            )
            uow.commit()
    return pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    os.environ.setdefault("LABELCREW_ARGON2_TIME_COST", "1")
    os.environ.setdefault("LABELCREW_ARGON2_MEMORY_KIB", "1024")
    from fastapi.testclient import TestClient

    from labelcrew.api.app import create_app
    from labelcrew.db.engine import make_engine
    from labelcrew.db.migrate import upgrade

    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    db = Database(engine)
    t0 = time.perf_counter()
    pid = seed(db, args.items)
    seeded_s = time.perf_counter() - t0
    client = TestClient(create_app(db=db))
    login = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert token is not None
    client.post(
        "/login", data={"username": "ann", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    csrf = client.cookies.get("labelcrew_csrf")
    times = []
    for n in range(args.pages):
        start = time.perf_counter()
        page = client.get(f"/projects/{pid}/work")
        times.append((time.perf_counter() - start) * 1000)
        found = re.search(r'data-item="(\d+)" data-key="([^"]+)"', page.text)
        assert page.status_code == 200 and found, page.text[:300]
        done = client.post(
            f"/api/v1/projects/{pid}/items/{found.group(1)}/annotations",
            json={"value": {"sentiment": "pos"}},
            headers={"X-CSRF-Token": csrf or "", "Idempotency-Key": f"bench-{n}"},
        )
        assert done.status_code == 201, done.text
    times.sort()
    print(
        json.dumps(
            {
                "benchmark": "workspace_page",
                "backend": engine.dialect.name,
                "items": args.items,
                "pages": args.pages,
                "seed_s": round(seeded_s, 1),
                "median_ms": round(statistics.median(times), 2),
                "p90_ms": round(times[int(0.9 * (len(times) - 1))], 2),
                "max_ms": round(times[-1], 2),
                "goal_ms": GOAL_MS,
                "ratio_median_to_goal": round(statistics.median(times) / GOAL_MS, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
