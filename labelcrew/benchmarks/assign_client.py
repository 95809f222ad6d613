"""The annotators' side of `labelcrew bench assign`: one keep-alive HTTP client per annotator,
each looping next -> submit; threads in this process below 8 annotators, else spread over
processes of CLIENTS_PER_PROCESS threads so the client side is not the bottleneck."""

from __future__ import annotations

import http.client
import multiprocessing as mp
import threading
import time
import uuid
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import orjson

VALUE = {"value": {"sentiment": "positive"}}
CLIENTS_PER_PROCESS = 4


class Client:
    """A lean keep-alive HTTP/1.1 client on the standard library. httpx spends ~1.4 ms of CPU
    per request on this machine, as much as the server's whole request; a benchmark of the
    server must not be a benchmark of its client."""

    def __init__(self, base: str, token: str) -> None:
        parsed = urlsplit(base)
        self.conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port)
        self.auth = f"Bearer {token}"

    def post(
        self, path: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        sent = {"Authorization": self.auth, **(headers or {})}
        payload = None
        if body is not None:
            payload = orjson.dumps(body)
            sent["Content-Type"] = "application/json"
        self.conn.request("POST", path, body=payload, headers=sent)
        response = self.conn.getresponse()
        data = response.read()
        try:
            parsed = orjson.loads(data) if data else {}
        except orjson.JSONDecodeError:
            parsed = {}
        return response.status, parsed if isinstance(parsed, dict) else {}

    def close(self) -> None:
        self.conn.close()


def annotate(base: str, project_id: int, token: str, seconds: float) -> dict[str, Any]:
    """One annotator's loop: next, then submit with a fresh Idempotency-Key, until time is up
    or the queue is empty. Latencies in seconds; non-2xx answers other than queue_empty count
    as errors, by code."""
    nexts: list[float] = []
    submits: list[float] = []
    errors: Counter[str] = Counter()
    done = 0
    emptied = False
    client = Client(base, token)
    try:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            status, got = client.post(f"/api/v1/projects/{project_id}/next")
            nexts.append(time.perf_counter() - t0)
            if status == 404 and got.get("code") == "queue_empty":
                emptied = True
                break
            if status != 200:
                errors[f"next:{status}:{got.get('code', '?')}"] += 1
                continue
            item_id = got["item"]["id"]
            t0 = time.perf_counter()
            status, sent = client.post(
                f"/api/v1/projects/{project_id}/items/{item_id}/annotations",
                VALUE,
                {"Idempotency-Key": uuid.uuid4().hex},
            )
            submits.append(time.perf_counter() - t0)
            if status == 201:
                done += 1
            else:
                errors[f"submit:{status}:{sent.get('code', '?')}"] += 1
    finally:
        client.close()
    return {
        "next": nexts,
        "submit": submits,
        "errors": dict(errors),
        "done": done,
        "emptied": emptied,
    }


def _client_process(
    base: str, project_id: int, tokens: list[str], seconds: float, ready: Any, go: Any, results: Any
) -> None:
    ready.wait()
    go.wait()
    results.put(_run_threads(base, project_id, tokens, seconds))


def _run_threads(
    base: str, project_id: int, tokens: list[str], seconds: float
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{} for _ in tokens]

    def one(i: int) -> None:
        out[i] = annotate(base, project_id, tokens[i], seconds)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(tokens))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def drive(
    base: str, project_id: int, tokens: list[str], seconds: float
) -> tuple[list[dict[str, Any]], float]:
    """Run every annotator; returns their results and the wall time from start to last finish."""
    if len(tokens) < 8:
        start = time.perf_counter()
        return _run_threads(base, project_id, tokens, seconds), time.perf_counter() - start
    ctx = mp.get_context("spawn")
    groups = [
        tokens[i : i + CLIENTS_PER_PROCESS] for i in range(0, len(tokens), CLIENTS_PER_PROCESS)
    ]
    ready, go, results = ctx.Barrier(len(groups) + 1), ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(
            target=_client_process, args=(base, project_id, group, seconds, ready, go, results)
        )
        for group in groups
    ]
    for p in procs:
        p.start()
    ready.wait()  # every process has started and is waiting
    start = time.perf_counter()
    go.set()
    collected = [r for _ in procs for r in results.get()]
    elapsed = time.perf_counter() - start
    for p in procs:
        p.join()
    return collected, elapsed
