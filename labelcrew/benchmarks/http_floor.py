"""What HTTP alone costs the hot path on this machine (`labelcrew bench http-floor`).

The same uvicorn command line and the same annotator clients as `bench assign`, against an app
that does nothing: it reads each request and answers next and submit with fixed JSON of the
real shape. No database, no authentication, no framework. Its rate is the most any server
written on uvicorn could serve on this machine, before doing any work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from labelcrew.benchmarks.assign import cpu_ms_per_item, process_tree_cpu, server
from labelcrew.benchmarks.assign_client import drive

Message = MutableMapping[str, Any]
NEXT = orjson.dumps(
    {
        "assignment_id": 1,
        "item": {"id": 1, "payload": {"text": "benchmark item"}},
        "queue": "annotation",
        "leased_at": "2026-01-01T00:00:00+00:00",
        "expires_at": "2026-01-01T00:15:00+00:00",
        "schema_version": 1,
        "guideline_version": None,
    }
)
SUBMITTED = orjson.dumps(
    {
        "annotation_id": 1,
        "item_id": 1,
        "value": {"sentiment": "positive"},
        "schema_version": 1,
        "guideline_version": None,
        "duration_ms": 3,
        "created_at": "2026-01-01T00:00:01+00:00",
        "created": True,
    }
)
HEADERS = [(b"content-type", b"application/json")]


async def floor_app(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return  # lifespan: nothing to start
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    path: str = scope["path"]
    status, body = (201, SUBMITTED) if path.endswith("/annotations") else (200, NEXT)
    if path == "/healthz":
        body = b'{"status": "ok"}'
    await send({"type": "http.response.start", "status": status, "headers": HEADERS})
    await send({"type": "http.response.body", "body": body})


def run(*, annotators: int, seconds: float) -> dict[str, Any]:
    tokens = [f"floor-{i}" for i in range(annotators)]
    app = "labelcrew.benchmarks.http_floor:floor_app"
    with server("", workers=1, app=app, factory=False) as (base, pid):
        cpu_before = process_tree_cpu(pid)
        results, elapsed = drive(base, 1, tokens, seconds)
        cpu_after = process_tree_cpu(pid)
    done = sum(r["done"] for r in results)
    errors = sum(sum(r["errors"].values()) for r in results)
    return {
        "benchmark": "http-floor",
        "annotators": annotators,
        "seconds": seconds,
        "submitted": done,
        "items_per_s": round(done / elapsed, 1) if elapsed > 0 else 0.0,
        "server_cpu_ms_per_item": cpu_ms_per_item(cpu_before, cpu_after, done),
        "errors": errors,
        "reference": "bench assign's clients and uvicorn command against an app that does nothing",
    }
