"""Benchmark: does the hourly quality scan stop the team? (issue 21, part 6)

A throwaway SQLite database (the embedded default, where one writer at a time is the rule) is
bulk-loaded as `labelcrew bench metrics` does it (`annotations` labels of `members` annotators,
overlap 3, 5 % gold with answers), then given an open queue and one more annotator. The quality
scan (`quality.scan`: disputed gold, honeypots, agreement snapshot, drift, confusion drift)
runs in a child process, as the worker runs it beside the server, while this process serves
that annotator next + submit in a loop and times each call. Reported: the scan's wall time,
the calls made meanwhile, their median, p99 and longest latency, and the same calls before the
scan started (the reference). Goal: no next/submit longer than 100 ms while a scan of 100,000
labels runs.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

from labelcrew.benchmarks.metrics import _seed

GOAL_MS = 100.0


def _prepare(url: str, pid: int, items: int) -> Any:
    """An open queue of `items` and an annotator `probe` on it; returns (db, actor)."""
    from labelcrew.db.engine import make_engine
    from labelcrew.services.accounts import users as accounts
    from labelcrew.services.accounts.users import Actor
    from labelcrew.services.importing.imports import import_items
    from labelcrew.services.projects import projects
    from labelcrew.services.uow import Database

    db = Database(make_engine(url))
    admin = accounts.get_user_by_name(db, "bench")
    actor = Actor(admin.id, admin.username, True)
    probe = accounts.create_user(db, actor, username="probe", password="probe-pass-1")
    projects.set_member(db, actor, pid, username="probe", roles=["annotator"])
    rows = "".join(
        json.dumps({"id": f"open{i}", "data": {"text": f"open item {i}"}}) + "\n"
        for i in range(items)
    )
    import_items(db, actor, pid, io.BytesIO(rows.encode()), filename="open.jsonl")
    return db, Actor(probe.id, probe.username, False)


def _label(db: Any, actor: Any, pid: int) -> float:
    """One next + submit; milliseconds."""
    from labelcrew.services.work import assignment, submission

    start = time.perf_counter()
    lease = assignment.next_item(db, actor, pid)
    value = {"sentiment": "positive"}
    submission.submit(db, actor, pid, lease["item"]["id"], value, idempotency_key=None)
    return (time.perf_counter() - start) * 1000


def _figures(ms: list[float]) -> dict[str, Any]:
    if not ms:
        return {"calls": 0}
    a = np.array(ms)
    return {
        "calls": len(ms),
        "median_ms": round(float(np.median(a)), 2),
        "p99_ms": round(float(np.quantile(a, 0.99)), 2),
        "max_ms": round(float(a.max()), 2),
    }


def child(url: str) -> dict[str, Any]:
    """Runs in a fresh process, as the worker would: the whole hourly quality scan."""
    from labelcrew.db.engine import make_engine
    from labelcrew.services.platform.jobs import scan_quality
    from labelcrew.services.uow import Database

    db = Database(make_engine(url))
    start = time.perf_counter()
    scan_quality(db)
    return {"scan_s": round(time.perf_counter() - start, 2)}


def run(annotations: int = 100_000, members: int = 30, seed: int = 0) -> dict[str, Any]:
    tmp = tempfile.TemporaryDirectory()
    url = f"sqlite:///{tmp.name}/bench.db"
    try:
        pid = _seed(url, annotations, members, 3, seed)
        db, probe = _prepare(url, pid, 20_000)
        before = [_label(db, probe, pid) for _ in range(200)]
        scan = subprocess.Popen(
            [sys.executable, "-m", "labelcrew.benchmarks.scan", url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        during: list[float] = []
        while scan.poll() is None:
            during.append(_label(db, probe, pid))
        out, err = scan.communicate()
        if scan.returncode != 0:
            raise RuntimeError(f"the scan child failed:\n{err}")
        figures = json.loads(out.strip().splitlines()[-1])
        db.engine.dispose()
    finally:
        tmp.cleanup()
    meanwhile = _figures(during)
    return {
        "benchmark": "scan",
        "backend": "sqlite",
        "annotations": annotations,
        "members": members,
        **figures,
        "before_scan": _figures(before),
        "during_scan": meanwhile,
        "goal_max_ms": GOAL_MS,
        "met": meanwhile.get("max_ms", 0.0) <= GOAL_MS,
        "load_average_1m": round(os.getloadavg()[0], 1),
        "cpus": os.cpu_count(),
        "reference": "the same next + submit calls before the scan started",
    }


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1])))
