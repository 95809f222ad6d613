"""`labelcrew report metrics|weekly|publish-weekly` and `labelcrew bench metrics`: metrics and the weekly snapshot."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from labelcrew.cli.common import fail, get_db
from labelcrew.errors import LabelcrewError

console = Console()
report_app = typer.Typer(help="Metrics and the weekly snapshot.", no_args_is_help=True)


def _project_id(db: object, ref: str) -> int:
    from labelcrew.services.projects.projects import load_project

    with db.uow(read_only=True) as uow:  # type: ignore[attr-defined]
        return int(load_project(uow, ref).id)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def metrics_command(
    project: str = typer.Argument(..., help="Project slug or id."),
    date_from: str = typer.Option(None, "--from", help="First day, e.g. 2026-11-01."),
    date_to: str = typer.Option(None, "--to", help="Last day, inclusive (default today)."),
    group_by: str = typer.Option("day", "--group-by", help="day, week, member, batch, queue."),
    as_json: bool = typer.Option(False, "--json", help="Print the full JSON."),
) -> None:
    """Project metrics over a period (default: the last 28 days)."""
    from labelcrew.services.metrics import dashboard as metrics

    db = get_db()
    try:
        result = metrics.project_metrics(
            db, _project_id(db, project), date_from=date_from, date_to=date_to, group_by=group_by
        )
    except LabelcrewError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
        return
    period = result["period"]
    console.print(
        f"[bold]{period['from']} → {period['to']}[/bold]: {result['labels']} labels by "
        f"{result['members_active']} members; disagreement {_pct(result['disagreement_rate'])} "
        f"({result['disagreed_items']}/{result['overlap_items']} overlap items); gold accuracy "
        f"{_pct(result['gold_accuracy'])} ({result['gold_answers']} answers)"
    )
    for queue, t in result["time_by_queue"].items():
        console.print(f"time per item, {queue}: median {t['median_s']} s, p90 {t['p90_s']} s")
    console.print(
        f"WIP {result['wip']['live_leases']} live leases; queue {result['queue_depth']['open_items']}"
        f" open items needing {result['queue_depth']['labels_needed']} labels"
    )
    table = Table(group_by or "period")
    for name in ("labels", "members", "disagreement", "gold accuracy", "median s", "p90 s"):
        table.add_column(name, justify="right")
    for s in result["series"]:
        table.add_row(
            s.get("member", s["key"]),
            str(s["labels"]),
            str(s["members_active"]),
            _pct(s["disagreement_rate"]),
            _pct(s["gold_accuracy"]),
            str(s["time_per_item"]["median_s"] or "-"),
            str(s["time_per_item"]["p90_s"] or "-"),
        )
    console.print(table)


def weekly_command(
    project: str = typer.Argument(..., help="Project slug or id."),
    week: str = typer.Option(None, "--week", help="ISO week, e.g. 2026-W47 (default: last week)."),
    fmt: str = typer.Option("md", "--format", help="md, html or json."),
) -> None:
    """The weekly snapshot as a lead would post it (the lead's view: every member's numbers)."""
    from labelcrew.domain.metrics.weekly_render import render_html, render_markdown
    from labelcrew.services.metrics.weekly import snapshot as weekly

    if fmt not in ("md", "html", "json"):
        raise typer.BadParameter("--format must be md, html or json")
    db = get_db()
    try:
        snapshot = weekly.weekly_snapshot(db, _project_id(db, project), week)
    except LabelcrewError as exc:
        fail(exc)
    if fmt == "json":
        typer.echo(json.dumps(snapshot, indent=2, default=str))
    else:
        typer.echo(render_markdown(snapshot) if fmt == "md" else render_html(snapshot), nl=False)


def publish_command(
    project: str = typer.Argument(..., help="Project slug or id."),
    week: str = typer.Option(None, "--week", help="ISO week (default: last week)."),
) -> None:
    """Store the weekly snapshot and emit report.weekly_published (the Monday job does this)."""
    from labelcrew.services.metrics.weekly import snapshot as weekly

    db = get_db()
    try:
        out = weekly.publish_weekly(db, _project_id(db, project), week)
    except LabelcrewError as exc:
        fail(exc)
    console.print(f"weekly report {out['week']} {'published' if out['created'] else 'exists'}")


def bench_metrics(
    annotations: int = typer.Option(1_000_000, help="Annotations to seed."),
    db: str = typer.Option("postgres", "--db", help="postgres (127.0.0.1:5432) or sqlite."),
    members: int = typer.Option(50, help="Annotators."),
    pg_url: str = typer.Option(
        "postgresql://postgres@127.0.0.1:5432/test", help="Server to create the database on."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only."),
) -> None:
    """Dashboard metrics over N annotations, cold, against computing them live."""
    from labelcrew.benchmarks import metrics as bench

    result = bench.run(annotations=annotations, backend=db, members=members, pg_url=pg_url)
    if as_json:
        typer.echo(json.dumps(result))
        return
    for key, value in result.items():
        console.print(f"{key}: {value}")


def register(app: typer.Typer, bench: typer.Typer) -> None:
    report_app.command("metrics")(metrics_command)
    report_app.command("weekly")(weekly_command)
    report_app.command("publish-weekly")(publish_command)
    app.add_typer(report_app, name="report")
    bench.command("metrics")(bench_metrics)
