"""`labelcrew bench workspace`: server time of the annotator workspace page in a big project."""

from __future__ import annotations

import json

import typer


def bench_workspace(
    db: str = typer.Option("sqlite", "--db", help="Backend: sqlite or postgres."),
    items: int = typer.Option(1_000_000, min=1, help="Items in the project."),
    labelled: int = typer.Option(0, min=0, help="Of those, items already labelled."),
    pages: int = typer.Option(200, min=1, help="Workspace pages to load (one submit each)."),
    pg_admin_url: str = typer.Option(
        "postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL server where a throwaway database is created and dropped.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print only JSON."),
) -> None:
    """Seed a fresh database, load the workspace page repeatedly; print times against 100 ms."""
    from labelcrew.benchmarks.workspace_page import run

    if db not in ("sqlite", "postgres"):
        raise typer.BadParameter("--db must be sqlite or postgres")
    result = run(items, pages, labelled=labelled, backend=db, pg_admin_url=pg_admin_url)
    if not as_json:
        typer.echo(
            f"{db}, {items:,} items ({labelled:,} labelled): workspace page median "
            f"{result['median_ms']} ms, p90 {result['p90_ms']} ms, p99 {result['p99_ms']} ms "
            f"(CPU median {result['cpu_median_ms']} ms); goal {result['goal_ms']} ms; load "
            f"average {result['load_avg_1m']}"
        )
    typer.echo(json.dumps(result))


def register(app: typer.Typer, bench: typer.Typer) -> None:
    bench.command("workspace")(bench_workspace)
