"""`labelcrew bench scan`: next/submit latency while the hourly quality scan runs."""

from __future__ import annotations

import json

import typer


def bench_scan(
    annotations: int = typer.Option(100_000, min=1000, help="Labels in the project."),
    members: int = typer.Option(30, min=3, help="Annotators who made them."),
    seed: int = typer.Option(0, help="Random seed."),
    as_json: bool = typer.Option(False, "--json", help="Print only JSON."),
) -> None:
    """Serve next + submit while the quality scan runs in another process (SQLite); print the
    scan's time and the calls' latency during it against before it."""
    from labelcrew.benchmarks.scan import run

    result = run(annotations=annotations, members=members, seed=seed)
    if not as_json:
        during, before = result["during_scan"], result["before_scan"]
        typer.echo(
            f"scan of {annotations:,} labels: {result['scan_s']} s; next+submit during it: "
            f"{during['calls']} calls, p99 {during.get('p99_ms')} ms, max {during.get('max_ms')} ms "
            f"(before: p99 {before['p99_ms']} ms); goal max {result['goal_max_ms']} ms"
        )
    typer.echo(json.dumps(result))


def register(app: typer.Typer, bench: typer.Typer) -> None:
    bench.command("scan")(bench_scan)
