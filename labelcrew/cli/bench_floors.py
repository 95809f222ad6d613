"""`labelcrew bench pg-floor` and `http-floor`: the hot path's two ceilings on this machine,
PostgreSQL alone (its SQL through pgbench) and HTTP alone (a server that does nothing)."""

from __future__ import annotations

import json

import typer


def bench_pg_floor(
    annotators: int = typer.Option(32, min=1, help="pgbench clients, one annotator each."),
    items: int = typer.Option(50_000, min=1, help="Items to seed (each run uses them up)."),
    seconds: float = typer.Option(15.0, min=1, help="How long each variant runs."),
    variant: list[str] = typer.Option(
        ["statements", "functions"],
        help="statements (the server's SQL replayed) and/or functions (two server-side calls).",
    ),
    pg_admin_url: str = typer.Option(
        "postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL server where a throwaway database is created and dropped.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print only JSON."),
) -> None:
    """PostgreSQL's own ceiling for next + submit on this machine (pgbench, no HTTP, no Python)."""
    from labelcrew.benchmarks.pg_floor import run

    try:
        result = run(
            annotators=annotators,
            items=items,
            seconds=seconds,
            pg_admin_url=pg_admin_url,
            variants=variant,
        )
    except (RuntimeError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    if not as_json:
        for name in variant:
            figures = result[name]
            typer.echo(
                f"{name}: {figures['items_per_s']:.1f} items/s with {annotators} annotators, "
                f"{figures['ratio_vs_target']}x the {result['target_items_per_s']:.0f} items/s "
                f"target, {figures['failed']:.0f} failed"
            )
    typer.echo(json.dumps(result))


def bench_http_floor(
    annotators: int = typer.Option(32, min=1, help="Concurrent annotators (HTTP clients)."),
    seconds: float = typer.Option(10.0, min=0.1, help="How long each annotator keeps going."),
    as_json: bool = typer.Option(False, "--json", help="Print only JSON."),
) -> None:
    """bench assign's clients and server command against an app that does nothing."""
    from labelcrew.benchmarks.http_floor import run

    result = run(annotators=annotators, seconds=seconds)
    if not as_json:
        typer.echo(
            f"{annotators} annotator(s) against a do-nothing server: {result['items_per_s']} "
            f"items/s, server CPU {result['server_cpu_ms_per_item']} ms/item, "
            f"errors {result['errors']}"
        )
    typer.echo(json.dumps(result))


def register(app: typer.Typer, bench: typer.Typer) -> None:
    bench.command("pg-floor")(bench_pg_floor)
    bench.command("http-floor")(bench_http_floor)
