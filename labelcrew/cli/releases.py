"""`labelcrew release`: publish, list, show, verify, diff and export dataset releases."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from labelcrew.cli.common import fail, get_db, system_actor
from labelcrew.errors import LabelcrewError
from labelcrew.services.releases import formats as releases_export
from labelcrew.services.releases import publish as releases
from labelcrew.services.uow import Database

console = Console()
release_app = typer.Typer(help="Immutable, content-hashed dataset releases.", no_args_is_help=True)


@contextmanager
def _database() -> Iterator[Database]:
    """The migrated database, with its connections closed when the command is done."""
    db = get_db()
    try:
        yield db
    finally:
        db.engine.dispose()


def create(
    project: str,
    name: str = typer.Option(..., "--name", help="Release name, e.g. v1 (never reused)."),
    method: str = typer.Option("ds", "--method", help="ds (Dawid-Skene) or mv (majority vote)."),
    min_confidence: float = typer.Option(
        None, "--min-confidence", help="Leave out items whose posterior is below this."
    ),
) -> None:
    """Publish a release: every item's final label, its confidence and provenance."""
    try:
        with _database() as db:
            out = releases.create_release(
                db,
                system_actor(db),
                project,
                name=name,
                method=method,
                min_confidence=min_confidence,
            )
    except LabelcrewError as exc:
        fail(exc)
    counts = out["manifest"]["counts"]
    console.print(
        f"release [bold]{out['name']}[/bold] (#{out['number']}, {out['method']}): "
        f"{counts['included']} items in, {counts['excluded']} out "
        f"{counts['excluded_by_reason'] or ''}"
    )
    console.print(f"sha256 {out['content_hash']}")


def list_cmd(project: str) -> None:
    """Published releases of a project."""
    try:
        with _database() as db:
            rows = releases.list_releases(db, project)
    except LabelcrewError as exc:
        fail(exc)
    table = Table("#", "name", "method", "in", "out", "created", "sha256")
    for r in rows:
        table.add_row(
            str(r["number"]),
            r["name"],
            r["method"],
            str(r["included"]),
            str(r["excluded"]),
            r["created_at"],
            r["content_hash"][:12],
        )
    console.print(table)


def show(project: str, name: str) -> None:
    """The release manifest (counts, distribution, agreement, changelog, hash) as JSON."""
    try:
        with _database() as db:
            out = releases.get_release(db, project, name)
    except LabelcrewError as exc:
        fail(exc)
    sys.stdout.write(json.dumps(out, indent=2) + "\n")


def verify(project: str, name: str) -> None:
    """Recompute the content hash from the stored rows; exit 1 if it differs."""
    try:
        with _database() as db:
            out = releases.verify_release(db, project, name)
    except LabelcrewError as exc:
        fail(exc)
    status = "[green]ok[/green]" if out["ok"] else "[red]MISMATCH[/red]"
    console.print(f"{name}: {status} sha256 {out['recomputed']}")
    if not out["ok"]:
        raise typer.Exit(1)


def diff(
    project: str,
    old: str,
    new: str,
    as_json: bool = typer.Option(False, "--json", help="Print the full diff as JSON."),
) -> None:
    """Labels added, removed and changed from release OLD to release NEW, with reasons."""
    try:
        with _database() as db:
            out = releases.diff_releases(db, project, old, new)
    except LabelcrewError as exc:
        fail(exc)
    if as_json:
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return
    c = out["counts"]
    console.print(
        f"{old} -> {new}: +{c['added']} -{c['removed']} ~{c['changed']} "
        f"(confidence only: {c['confidence_changed']})"
    )
    table = Table("change", "item", "old", "new", "reasons")
    for kind, key in (("added", "added"), ("removed", "removed"), ("changed", "changed")):
        for e in out[key]:
            old_label = e.get("old_label", e["label"] if kind == "removed" else "")
            new_label = e.get("new_label", e["label"] if kind == "added" else "")
            table.add_row(
                kind, e["external_id"], old_label or "", new_label or "", "; ".join(e["reasons"])
            )
    console.print(table)


# The release formats as fixed choices, so `--format` is completed and checked by the shell.
ReleaseFormat = StrEnum(  # type: ignore[misc]
    "ReleaseFormat", {name.replace("-", "_"): name for name in releases_export.FORMATS}
)


def export(
    project: str,
    name: str,
    format: ReleaseFormat = typer.Option("jsonl", "--format", help="The file format."),
    field: str = typer.Option(
        None, "--field", help="coco, yolo, conll, spans-jsonl: the field (default: the first)."
    ),
    out: Path = typer.Option(None, "--out", help="Output file (default: standard output)."),
) -> None:
    """Export a release (audited, like every export)."""
    try:
        with _database() as db:
            file = releases_export.export_release(
                db, system_actor(db), project, name, str(format.value), field=field
            )
    except LabelcrewError as exc:
        fail(exc)
    if out is None:
        sys.stdout.buffer.write(file.content)
        return
    out.write_bytes(file.content)
    console.print(f"{file.rows} items written to {out}")


def register(app: typer.Typer, bench: typer.Typer) -> None:
    release_app.command("create")(create)
    release_app.command("list")(list_cmd)
    release_app.command("show")(show)
    release_app.command("verify")(verify)
    release_app.command("diff")(diff)
    release_app.command("export")(export)
    app.add_typer(release_app, name="release")
