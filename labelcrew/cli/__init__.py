"""The `labelcrew` command line.

Each capability keeps its commands in its own module under `labelcrew.cli`, named as its
package in `services/` (review, escalations, guidelines, calibration, metrics, releases,
teamops, importing, platform, projects, accounts; `server` for init, serve and db), with a
`register(app, bench)` function; this module only assembles them.
"""

from __future__ import annotations

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

from labelcrew.cli import (  # noqa: E402  (they add commands to `app` and `bench` above)
    accounts,
    aggregate,
    agreement,
    bench_assign,
    bench_drift,
    bench_floors,
    bench_scan,
    bench_workspace,
    calibration,
    escalations,
    guidelines,
    importing,
    labelstudio,
    metrics,
    platform,
    projects,
    releases,
    review,
    server,
    simulate,
    teamops,
)

# Modules that add commands, in the order `--help` lists them. Keep one line per module.
COMMAND_MODULES = (
    review, escalations, teamops, platform, guidelines, calibration, releases, aggregate,
    metrics, simulate, importing, labelstudio, bench_assign, bench_floors, bench_drift,
    bench_scan, bench_workspace, agreement, server, projects, accounts,
)  # fmt: skip

for _module in COMMAND_MODULES:
    _module.register(app, bench)


def main() -> None:
    app()
