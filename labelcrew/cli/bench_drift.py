"""`labelcrew bench drift`: detection delay and false alarms of the per-member drift test."""

from __future__ import annotations

import json

import typer


def bench_drift(
    drifting: int = typer.Option(2000, min=1, help="Members whose accuracy drops."),
    steady: int = typer.Option(200, min=1, help="Steady members (false alarms)."),
    steady_gold: int = typer.Option(10_000, min=100, help="Gold answers per steady member."),
    steady_low: float = typer.Option(0.9, help="Steady members' accuracy: lowest."),
    steady_high: float = typer.Option(0.9, help="Steady members' accuracy: highest."),
    accuracy: float = typer.Option(0.9, help="Accuracy before the drop."),
    drop: float = typer.Option(0.2, help="Accuracy lost at the change."),
    gold_before: int = typer.Option(300, min=1, help="Gold answers before the change."),
    gold_rate: float = typer.Option(0.1, min=0.01, max=0.99, help="Share of answers on gold."),
    overlap: int = typer.Option(3, min=2, help="Labels per overlap item."),
    classes: int = typer.Option(5, min=2, help="Classes of the labelled field."),
    max_lag: int = typer.Option(2, min=0, help="Answers until an item's second label arrives."),
    kind: str = typer.Option("step", help="Drift kind: step, gradual or confusion."),
    seed: int = typer.Option(1, help="Random seed."),
    as_json: bool = typer.Option(False, "--json", help="Print only JSON."),
) -> None:
    """Simulate members at a gold rate with overlap on the rest; print the median delay (in gold
    answers) with agreement checks and with gold alone, and false alarms per 10,000 gold
    answers of steady members."""
    from labelcrew.benchmarks.drift import DriftBenchConfig, run
    from labelcrew.cli.common import fail
    from labelcrew.errors import LabelcrewError

    try:
        cfg = DriftBenchConfig(
            drifting=drifting,
            steady=steady,
            steady_gold=steady_gold,
            steady_accuracy=(steady_low, steady_high),
            accuracy=accuracy,
            drop=drop,
            gold_before=gold_before,
            gold_rate=gold_rate,
            overlap=overlap,
            classes=classes,
            max_lag=max_lag,
            seed=seed,
            drift_kind=kind,
        )
    except LabelcrewError as exc:
        fail(exc)
    result = run(cfg)
    if not as_json:
        both, alone = result["gold_and_agreement"], result["gold_only"]
        typer.echo(
            f"{accuracy} -> {accuracy - drop:.2f}, gold rate {gold_rate}, overlap {overlap}: "
            f"median delay {both['median_delay_gold']} gold answers with agreement checks "
            f"({alone['median_delay_gold']} gold only); false alarms "
            f"{result['steady']['per_10000_gold']} per 10,000 gold answers "
            f"({result['steady_gold_only']['per_10000_gold']} gold only)"
        )
    typer.echo(json.dumps(result))


def register(app: typer.Typer, bench: typer.Typer) -> None:
    bench.command("drift")(bench_drift)
