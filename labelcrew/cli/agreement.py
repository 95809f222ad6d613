"""`labelcrew agreement ANSWERS.csv` and `labelcrew bench agreement`: no server needed."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from labelcrew.cli.common import fail
from labelcrew.domain.quality.agreement.summary import LEVELS, summarize
from labelcrew.errors import LabelcrewError, ValidationFailed

HEADER = ("question", "worker", "answer")
# Pairs with fewer shared items have kappas too noisy to single out in the table.
_MIN_SHARED_SHOWN = 10
console = Console()


def read_answers(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """Read a long CSV ``question,worker,answer``; answers become numbers if all of them are.

    A bad row raises ValidationFailed naming its line (the header is line 1).
    """
    questions: list[str] = []
    workers: list[str] = []
    answers: list[str] = []
    first_line: dict[tuple[str, str], int] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = tuple(cell.strip() for cell in next(reader, []))
        if header != HEADER:
            raise ValidationFailed(
                f"line 1: header must be {','.join(HEADER)}, got {','.join(header) or 'nothing'}",
                code="agreement_bad_header",
                field="line 1",
            )
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            cells = [cell.strip() for cell in row]
            if len(cells) != 3 or not all(cells):
                raise ValidationFailed(
                    f"line {line}: expected 3 non-empty fields question,worker,answer, got {row!r}",
                    code="agreement_bad_row",
                    field=f"line {line}",
                )
            key = (cells[0], cells[1])
            if key in first_line:
                raise ValidationFailed(
                    f"line {line}: worker {cells[1]!r} already answered question {cells[0]!r} "
                    f"on line {first_line[key]}",
                    code="agreement_duplicate_rating",
                    field=f"line {line}",
                )
            first_line[key] = line
            questions.append(cells[0])
            workers.append(cells[1])
            answers.append(cells[2])
    return questions, workers, _numeric_if_possible(answers)


def _numeric_if_possible(answers: list[str]) -> np.ndarray:
    for kind in (int, float):
        try:
            values = np.array([kind(a) for a in answers])
        except ValueError:
            continue
        if values.dtype.kind != "f" or np.isfinite(values).all():
            return values
    return np.array(answers, dtype=object).astype(str)


def _fmt(value: float | None) -> str:
    return (
        "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"
    )


def _print_tables(summary: dict[str, Any], source: Path) -> None:
    counts = summary["counts"]
    console.print(
        f"[bold]{source.name}[/bold]: {counts['ratings']} ratings, {counts['items']} items "
        f"({counts['pairable_items']} with 2+ ratings), {counts['raters']} raters, "
        f"{counts['categories']} distinct answers"
    )
    levels = summary["levels"]
    table = Table(title="Agreement")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("level")
    table.add_row("percent agreement (pairwise)", _fmt(summary["percent_agreement"]), "")
    table.add_row("Fleiss' kappa", _fmt(summary["fleiss_kappa"]), levels["fleiss_kappa"] or "—")
    for level, alpha in summary["alpha"].items():
        mark = levels["alpha"] if level == summary["level"] else ""
        table.add_row(f"Krippendorff's alpha ({level})", _fmt(alpha), mark or "")
    cohen = summary["cohen_kappa"]
    table.add_row(
        f"Cohen's kappa, mean of {cohen['n_pairs_defined']} pairs",
        _fmt(cohen["mean"]),
        levels["cohen_kappa_mean"] or "—",
    )
    table.add_row("Cohen's kappa, min / max", f"{_fmt(cohen['min'])} / {_fmt(cohen['max'])}", "")
    console.print(table)
    labels = Table(title="Per label (one-vs-rest alpha)")
    labels.add_column("label")
    labels.add_column("alpha", justify="right")
    for row in summary["per_label"]:
        labels.add_row(str(row["label"]), _fmt(row["alpha"]))
    console.print(labels)
    shown = [p for p in cohen["pairs"] if p["kappa"] is not None]
    shown = [p for p in shown if p["n_shared"] >= _MIN_SHARED_SHOWN]
    pairs = sorted(shown, key=lambda p: p["kappa"])[:10]
    if pairs:
        worst = Table(title=f"Lowest Cohen's kappa pairs ({_MIN_SHARED_SHOWN}+ shared items)")
        for column in ("rater a", "rater b", "kappa", "shared items"):
            worst.add_column(column, justify="right" if column != "rater a" else "left")
        for p in pairs:
            worst.add_row(
                str(p["rater_a"]), str(p["rater_b"]), _fmt(p["kappa"]), str(p["n_shared"])
            )
        console.print(worst)


def agreement(
    answers: Path = typer.Argument(..., help="Long CSV with header question,worker,answer."),
    level: str = typer.Option("nominal", help=f"Alpha level: {', '.join(LEVELS)}."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Every agreement measure of a CSV of answers (percent, kappas, alpha, per label)."""
    try:
        if not answers.is_file():
            raise ValidationFailed(f"{answers} is not a file", code="not_found", field="answers")
        questions, workers, values = read_answers(answers)
        summary = summarize(questions, workers, values, level=level)
    except LabelcrewError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(summary, allow_nan=False))
    else:
        _print_tables(summary, answers)


def bench_agreement(
    raters: int = typer.Option(50, min=2, help="Raters (rows of the reliability matrix)."),
    units: int = typer.Option(200_000, min=1, help="Units (items)."),
    categories: int = typer.Option(5, min=2, help="Distinct integer values."),
    missing: float = typer.Option(0.1, min=0.0, max=0.95, help="Share of missing ratings."),
    level: str = typer.Option("nominal", help=f"Alpha level: {', '.join(LEVELS)}."),
    repeats: int = typer.Option(3, min=1, help="Timed runs per side (best is kept)."),
    as_json: bool = typer.Option(False, "--json", help="Print only JSON."),
) -> None:
    """Time our Krippendorff's alpha against the `krippendorff` package on the same data."""
    from labelcrew.benchmarks.agreement import run

    result = run(raters, units, categories, missing, level, repeats)
    if as_json:
        typer.echo(json.dumps(result))
        return
    table = Table(title=f"Krippendorff's alpha, {raters} raters x {units} units ({level})")
    for column in ("", "labelcrew", result["reference"]):
        table.add_column(column, justify="right")
    table.add_row(
        "seconds (best)", f"{result['ours_seconds']:.4f}", f"{result['reference_seconds']:.4f}"
    )
    table.add_row("alpha", f"{result['ours_alpha']:.12f}", f"{result['reference_alpha']:.12f}")
    table.add_row(
        "peak MiB (tracemalloc)",
        f"{result['ours_peak_mib']:.1f}",
        f"{result['reference_peak_mib']:.1f}",
    )
    console.print(table)
    console.print(
        f"speedup: {result['speedup']:.2f}x   |alpha difference|: {result['abs_difference']:.2e}"
    )
    typer.echo(json.dumps(result))


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command("agreement")(agreement)
    bench.command("agreement")(bench_agreement)
