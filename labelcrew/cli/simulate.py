"""`labelcrew simulate`: a simulated team working a fresh project through the real services."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from labelcrew.db.engine import make_engine
from labelcrew.db.migrate import upgrade
from labelcrew.services.uow import Database
from labelcrew.sim.config import SimConfig
from labelcrew.sim.run import run

console = Console(stderr=True)


def simulate(
    annotators: int = typer.Option(50, help="Team size."),
    items: int = typer.Option(20000, help="Items to label (5% of them are gold)."),
    drifters: int = typer.Option(5, help="Members whose accuracy drops part-way."),
    spammers: int = typer.Option(2, help="Random or constant clickers."),
    classes: int = typer.Option(5, help="Classes of the single-choice field."),
    overlap: int = typer.Option(3, help="Labels per item (the maximum when --dynamic)."),
    dynamic: bool = typer.Option(False, help="Dynamic overlap: stop at the target confidence."),
    gold_rate: float = typer.Option(0.1, help="Share of served items that are gold."),
    inattentive: int = typer.Option(1, help="Honest members who rush and miss honeypots."),
    seed: int = typer.Option(1, help="Random seed."),
    db_url: str = typer.Option(None, help="Database URL (default: a throwaway SQLite file)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only."),
) -> None:
    """Drive the real services with simulated annotators and print what was caught.

    Reports drift detection latency, false alarms, spammer pauses, aggregation accuracy and
    labels spent.
    """
    cfg = SimConfig(
        annotators=annotators,
        items=items,
        drifters=drifters,
        spammers=spammers,
        classes=classes,
        overlap=overlap,
        dynamic=dynamic,
        gold_rate=gold_rate,
        inattentive=inattentive,
        seed=seed,
    )
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(db_url or f"sqlite:///{Path(tmp) / 'sim.db'}")
        upgrade(engine)
        expected = items * (1 if dynamic else overlap)
        with Progress(
            TextColumn("simulating"),
            BarColumn(),
            TextColumn("{task.completed} labels"),
            TimeRemainingColumn(),
            console=console,
            disable=as_json,
        ) as bar:
            task = bar.add_task("labels", total=expected)
            result = run(Database(engine), cfg, progress=lambda n: bar.advance(task, n))
        engine.dispose()
    out = {"config": cfg.__dict__, **result.as_dict()}
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        return
    table = Table("measure", "value")
    for key, value in result.as_dict().items():
        table.add_row(key, json.dumps(value))
    Console().print(table)


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command("simulate")(simulate)
