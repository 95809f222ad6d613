"""`labelcrew import-labelstudio` and `labelcrew export-labelstudio`."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from labelcrew.cli.common import fail, get_db, system_actor
from labelcrew.errors import LabelcrewError

console = Console()
err_console = Console(stderr=True)


class ExportFormat(StrEnum):
    auto = "auto"
    json = "json"
    json_min = "json_min"
    csv = "csv"


class View(StrEnum):
    both = "both"
    annotators = "annotators"
    consensus = "consensus"


def _annotators(path: Path | None) -> dict[str, str] | None:
    from labelcrew.services.importing.labelstudio_mapping import users_by_id

    return None if path is None else users_by_id(path.read_bytes())


def _print_report(report: dict[str, object]) -> None:
    verb = "would create" if report["dry_run"] else "created"
    table = Table(title=f"Label Studio import into {report['project']} ({report['format']})")
    table.add_column("what")
    table.add_column(verb, justify="right")
    table.add_column("already there", justify="right")
    table.add_row("project", "yes" if report["project_created"] else "no", "")
    table.add_row("items", str(report["items_created"]), str(report["items_unchanged"]))
    table.add_row(
        "annotations", str(report["annotations_created"]), str(report["annotations_unchanged"])
    )
    table.add_row("gold answers", str(report["gold_set"]), "")
    table.add_row("predictions", str(report["predictions_created"]), "")
    created, mapped = report["members_created"], report["members_mapped"]
    assert isinstance(created, list) and isinstance(mapped, list)
    table.add_row("members (inactive until invited)", str(len(created)), str(len(mapped)))
    console.print(table)
    for f in report["fields"]:  # type: ignore[attr-defined]
        console.print(f"  {f['tag']} {f['from_name']!r} -> {f['kind']} field {f['field']!r}")
    for u in report["unmapped"]:  # type: ignore[attr-defined]
        console.print(f"  [yellow]not mapped[/yellow] {u['tag']} {u['name']!r}: {u['reason']}")
    for name, n in report["regions_not_mapped"].items():  # type: ignore[attr-defined]
        console.print(f"  [yellow]skipped[/yellow] {n} region(s) of {name!r} (no field)")
    if report["predictions_by_id_only"]:
        console.print(
            f"  {report['predictions_by_id_only']} prediction(s) listed by id only: export a "
            "Label Studio snapshot with whole predictions to bring them over"
        )
    if report["cancelled_skipped"]:
        console.print(f"  {report['cancelled_skipped']} cancelled annotation(s) skipped")
    if report["dry_run"]:
        console.print("dry run: nothing was written")


def import_labelstudio(
    project: str = typer.Argument(..., help="Project slug (created when it does not exist)."),
    export: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="Label Studio export: JSON, JSON_MIN or CSV."
    ),
    config: Path = typer.Option(
        ..., "--config", exists=True, dir_okay=False, help="The project's labeling config (XML)."
    ),
    format: ExportFormat = typer.Option(ExportFormat.auto, "--format", help="Export format."),
    name: str = typer.Option(None, "--name", help="Name of a new project (default: the slug)."),
    annotators: Path = typer.Option(
        None,
        "--annotators",
        exists=True,
        dir_okay=False,
        help="Label Studio users (GET /api/users) when the export names annotators by id.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be created."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    url: str = typer.Option(
        None, "--url", envvar="LABELCREW_URL", help="A labelcrew server to import into (API)."
    ),
    token: str = typer.Option(None, "--token", envvar="LABELCREW_TOKEN", help="Its API token."),
) -> None:
    """Move a Label Studio project in: schema, items, labels by annotator, gold, predictions."""
    from labelcrew.services.importing.labelstudio_import import import_labelstudio as run

    if url is not None:
        report_dict = _remote_import(
            url,
            token,
            project,
            export,
            config,
            fmt=None if format is ExportFormat.auto else format.value,
            name=name,
            dry_run=dry_run,
            annotators=annotators,
        )
        if as_json:
            print(json.dumps(report_dict))
        else:
            _print_report(report_dict)
        return
    db = get_db()
    try:
        report = run(
            db,
            system_actor(db),
            project,
            config_xml=config.read_text(encoding="utf-8"),
            export=export.read_bytes(),
            filename=export.name,
            fmt=None if format is ExportFormat.auto else format.value,
            name=name,
            dry_run=dry_run,
            annotators=_annotators(annotators),
        )
    except LabelcrewError as exc:
        for problem in exc.details.get("errors", []):
            where = f" [{problem['field']}]" if problem.get("field") else ""
            err_console.print(f"{problem['where']}{where}: {problem['message']}", markup=False)
        fail(exc)
    finally:
        db.engine.dispose()
    if as_json:
        print(json.dumps(report.to_dict()))
        return
    _print_report(report.to_dict())


def _remote_import(
    url: str,
    token: str | None,
    project: str,
    export: Path,
    config: Path,
    *,
    fmt: str | None,
    name: str | None,
    dry_run: bool,
    annotators: Path | None,
) -> dict[str, object]:
    """The same import through the API (`labelcrew.client`): no database access needed."""
    from labelcrew.client import ApiError, Client

    try:
        with Client(url, token) as lc:
            report = lc.import_labelstudio(
                project,
                export.read_bytes(),
                config.read_text(encoding="utf-8"),
                filename=export.name,
                name=name,
                fmt=fmt,
                dry_run=dry_run,
                annotators=None if annotators is None else annotators.read_bytes(),
            )
    except ApiError as exc:
        for problem in exc.details.get("errors", []):
            where = f" [{problem['field']}]" if problem.get("field") else ""
            err_console.print(f"{problem['where']}{where}: {problem['message']}", markup=False)
        where = f" ({exc.field})" if exc.field else ""
        err_console.print(f"[red]error[/red] {exc.code}{where}: {exc.message}")
        raise typer.Exit(1) from None
    return report.model_dump()


def export_labelstudio(
    project: str = typer.Argument(..., help="Project slug or id."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the tasks (JSON)."),
    release: str = typer.Option(None, "--release", help="Export this release, not live labels."),
    view: View = typer.Option(View.both, "--view", help="For a release: what each task holds."),
    config_out: Path = typer.Option(
        None, "--config-out", help="Also write the labeling config (XML) Label Studio needs."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a summary as JSON."),
) -> None:
    """Write a Label Studio JSON export: each label an annotation with its regions."""
    from labelcrew.services.releases import formats, labelstudio_format

    db = get_db()
    try:
        actor = system_actor(db)
        if release is None:
            file = labelstudio_format.export_project(db, actor, project)
            content, tasks, xml = file.content, file.tasks, file.config
        else:
            fmt = "labelstudio" if view is View.both else f"labelstudio-{view.value}"
            made = formats.export_release(db, actor, project, release, fmt)
            content, tasks = made.content, made.rows
            xml = labelstudio_format.config_of(db, project)
    except LabelcrewError as exc:
        fail(exc)
    finally:
        db.engine.dispose()
    out.write_bytes(content)
    if config_out is not None:
        config_out.write_text(xml, encoding="utf-8")
    summary = {"tasks": tasks, "out": str(out), "config": str(config_out) if config_out else None}
    if as_json:
        print(json.dumps(summary))
    else:
        console.print(f"{tasks} task(s) written to {out}")


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command("import-labelstudio")(import_labelstudio)
    app.command("export-labelstudio")(export_labelstudio)
