"""`labelcrew import PROJECT FILE` and `labelcrew bench import`."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from labelcrew.cli.common import get_db, system_actor
from labelcrew.errors import LabelcrewError

console = Console()
err_console = Console(stderr=True)


def _refused(exc: LabelcrewError) -> None:
    errors = exc.details.get("errors", [])
    total = int(exc.details.get("error_count", len(errors)))
    for error in errors:
        where = f" [{error['field']}]" if error.get("field") else ""
        err_console.print(
            f"line {error['line']}{where}: {error['message']}", markup=False, highlight=False
        )
    shown = (
        f" (the first {len(errors)} shown; --max-errors to see more)" if total > len(errors) else ""
    )
    err_console.print(
        f"[red]import refused[/red]: {total} bad row(s) of "
        f"{exc.details.get('rows_read', '?')}{shown}; nothing was imported. "
        "Fix them, or use --skip-invalid to import the good rows."
    )


def import_command(
    project: str = typer.Argument(..., help="Project slug or id."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    format: str = typer.Option(
        None,
        "--format",
        help="jsonl, csv or labelstudio (default: from the file name and its first bytes).",
    ),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Import the good rows; write the bad ones to --rejects."
    ),
    rejects: Path = typer.Option(
        None,
        "--rejects",
        help="Where bad rows go with --skip-invalid (default: FILE.rejects.jsonl).",
    ),
    max_errors: int = typer.Option(100, "--max-errors", help="Bad lines to report at most."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Import items from a JSONL, CSV or Label Studio file, all or nothing unless --skip-invalid."""
    from labelcrew.services.importing.imports import import_items

    db = get_db()
    reject_path = (
        (rejects or file.with_name(file.name + ".rejects.jsonl")) if skip_invalid else None
    )
    size = file.stat().st_size
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    try:
        with (
            Progress(*columns, console=err_console, transient=True, disable=as_json) as progress,
            file.open("rb") as fp,
            reject_path.open("wb") if reject_path else nullcontext() as sink,
        ):
            task = progress.add_task(file.name, total=size)
            report = import_items(
                db,
                system_actor(db),
                project,
                fp,
                filename=file.name,
                fmt=format,
                skip_invalid=skip_invalid,
                rejects=sink,
                max_errors=max_errors,
                progress=lambda done: progress.update(task, completed=done),
            )
    except LabelcrewError as exc:
        if exc.code == "import_rejected":
            _refused(exc)
        else:
            err_console.print(f"[red]error[/red] {exc.code}: {exc.message}")
        raise typer.Exit(1) from None
    if reject_path is not None and report.rejected == 0:
        reject_path.unlink(missing_ok=True)
    if as_json:
        print(json.dumps(report.to_dict()))
        return
    table = Table(title=f"import of {file.name} ({report.format})", show_header=False)
    for label, value in (
        ("rows read", report.rows_read),
        ("created", report.created),
        ("unchanged (already there)", report.unchanged),
        ("rejected", report.rejected),
        ("batches created", report.batches_created),
        ("gold answers set", report.gold_set),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
    if report.rejected:
        for error in report.errors:
            err_console.print(f"skipped line {error['line']}: {error['message']}", markup=False)
        console.print(f"{report.rejected} bad row(s) written to {reject_path}")


def bench_import(
    items: int = typer.Option(1_000_000, "--items", help="Rows in the generated JSONL file."),
    db: str = typer.Option("sqlite", "--db", help="sqlite or postgres"),
    pg_url: str = typer.Option(
        None,
        "--pg-url",
        help="PostgreSQL server for --db postgres "
        "(default LABELCREW_BENCH_PG or postgresql://postgres@127.0.0.1/test).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only."),
) -> None:
    """Generate a JSONL file, import it in a fresh process, compare with Label Studio."""
    from labelcrew.benchmarks.importing import run

    if db not in ("sqlite", "postgres"):
        raise typer.BadParameter("--db must be sqlite or postgres")
    result = run(items, db, pg_url, log=None if as_json else err_console.print)
    print(json.dumps(result, indent=None if as_json else 2))


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command("import")(import_command)
    bench.command("import")(bench_import)
