"""`labelcrew bench assign`: the next -> submit hot path over real HTTP."""

from __future__ import annotations

import json

import typer


def bench_assign(
    db: str = typer.Option("sqlite", "--db", help="Backend: sqlite or postgres."),
    annotators: int = typer.Option(1, min=1, help="Concurrent annotators (one HTTP client each)."),
    items: int = typer.Option(20_000, min=1, help="Items to seed."),
    seconds: float = typer.Option(10.0, min=0.1, help="How long each annotator keeps working."),
    overlap: int = typer.Option(1, min=1, help="Labels wanted per item."),
    server_workers: int = typer.Option(1, min=1, help="uvicorn worker processes."),
    pg_admin_url: str = typer.Option(
        "postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL server where a throwaway database is created and dropped.",
    ),
    data_dir: str = typer.Option(
        None, help="Directory for the SQLite file (default: the system temp dir)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print only JSON."),
) -> None:
    """Seed a fresh database, start a real server, run annotators; print rates and duplicates."""
    from labelcrew.benchmarks.assign import run

    if db not in ("sqlite", "postgres"):
        raise typer.BadParameter("--db must be sqlite or postgres")
    result = run(
        db,
        annotators,
        items,
        seconds,
        overlap,
        pg_admin_url=pg_admin_url,
        server_workers=server_workers,
        data_dir=data_dir,
    )
    if not as_json:
        typer.echo(
            f"{db}, {annotators} annotator(s): {result['items_per_s']} items/s, next p50/p95 "
            f"{result['next_p50_ms']}/{result['next_p95_ms']} ms, submit p95 "
            f"{result['submit_p95_ms']} ms, duplicates {result['duplicates']}, errors "
            f"{result['errors']}; {result['ratio_per_annotator_vs_reference']}x the reference "
            f"({result['reference']})"
        )
    typer.echo(json.dumps(result))


def register(app: typer.Typer, bench: typer.Typer) -> None:
    bench.command("assign")(bench_assign)
