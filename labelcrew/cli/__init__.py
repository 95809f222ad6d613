"""The `labelcrew` command line.

Each capability keeps its commands in its own module under `labelcrew.cli` with a
`register(app, bench)` function; this module only assembles them.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="labelcrew",
    help="Run a data-labeling team: schemas, guidelines, assignment, quality, releases.",
    no_args_is_help=True,
    add_completion=False,
)
bench = typer.Typer(
    help="Benchmarks that print ratios against a named reference.", no_args_is_help=True
)
app.add_typer(bench, name="bench")

# Modules that add commands. Keep one line per module.
COMMAND_MODULES: tuple[str, ...] = (
    # -- command modules --
    "labelcrew.cli.feedback",
    "labelcrew.cli.teamops",
    "labelcrew.cli.loops",
    "labelcrew.cli.releases",
    "labelcrew.cli.aggregate",
    "labelcrew.cli.report",
    "labelcrew.cli.simulate",
    "labelcrew.cli.importing",
    "labelcrew.cli.bench_assign",
    "labelcrew.cli.bench_floors",
    "labelcrew.cli.bench_drift",
    "labelcrew.cli.bench_workspace",
    "labelcrew.cli.agreement",
    "labelcrew.cli.core",
    "labelcrew.cli.users",
)


def _load() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app, bench)


_load()


def main() -> None:
    app()
