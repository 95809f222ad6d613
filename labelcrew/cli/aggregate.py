"""`labelcrew aggregate ANSWERS.csv` and `labelcrew bench aggregate`: no server needed."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from labelcrew.cli.common import fail
from labelcrew.domain.aggregation.methods import (
    DEFAULT_METHOD,
    EncodedAnswers,
    encode_answers,
    encode_gold,
    make_aggregator,
)
from labelcrew.errors import LabelcrewError, ValidationFailed

ANSWER_HEADER = ("question", "worker", "answer")
TRUTH_HEADER = ("question", "truth")
console = Console()


def read_rows(path: Path, header: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    """Rows of a CSV with exactly ``header``, as (line number, cells); a bad line raises."""
    rows: list[tuple[int, list[str]]] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        found = tuple(cell.strip() for cell in next(reader, []))
        if found != header:
            raise ValidationFailed(
                f"{path.name} line 1: header must be {','.join(header)}, got {','.join(found) or 'nothing'}",
                code="aggregation_bad_header",
                field="line 1",
            )
        for row in reader:
            line = reader.line_num
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            if len(cells) != len(header) or not all(cells):
                raise ValidationFailed(
                    f"{path.name} line {line}: expected {len(header)} non-empty fields "
                    f"{','.join(header)}, got {row!r}",
                    code="aggregation_bad_row",
                    field=f"line {line}",
                )
            rows.append((line, cells))
    return rows


def read_answers(path: Path) -> EncodedAnswers:
    rows = read_rows(path, ANSWER_HEADER)
    if not rows:
        raise ValidationFailed(
            f"{path.name} has no answers", code="aggregation_no_answers", field="line 2"
        )
    first_line: dict[tuple[str, str], int] = {}
    for line, (question, worker, _) in rows:
        earlier = first_line.setdefault((question, worker), line)
        if earlier != line:
            raise ValidationFailed(
                f"{path.name} line {line}: worker {worker!r} already answered question "
                f"{question!r} on line {earlier}",
                code="aggregation_duplicate_answer",
                field=f"line {line}",
            )
    columns = list(zip(*(cells for _, cells in rows), strict=True))
    return encode_answers(*(np.array(column, dtype=object).astype(str) for column in columns))


def read_truth(path: Path, answers: EncodedAnswers) -> tuple[np.ndarray, np.ndarray]:
    """Map ``question,truth`` rows onto answer codes; questions nobody answered are skipped."""
    rows = read_rows(path, TRUTH_HEADER)
    seen: dict[str, int] = {}
    for line, (question, _) in rows:
        if seen.setdefault(question, line) != line:
            raise ValidationFailed(
                f"{path.name} line {line}: question {question!r} already has a truth on line "
                f"{seen[question]}",
                code="aggregation_duplicate_truth",
                field=f"line {line}",
            )
    answered = set(answers.item_ids.tolist())
    labels_given = set(answers.label_ids.tolist())
    for line, (question, label) in rows:
        if question in answered and label not in labels_given:
            raise ValidationFailed(
                f"{path.name} line {line}: label {label!r} of question {question!r} is not "
                f"among the answered labels ({', '.join(answers.label_ids.tolist())})",
                code="aggregation_unknown_gold_label",
                field=f"line {line}",
            )
    questions = np.array([cells[0] for _, cells in rows], dtype=str)
    labels = np.array([cells[1] for _, cells in rows], dtype=str)
    return encode_gold(answers, questions, labels)


def aggregate_command(
    answers: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="question,worker,answer CSV"
    ),
    method: str = typer.Option(DEFAULT_METHOD, "--method", help="mv | wmv | ds | ods"),
    gold: Path | None = typer.Option(
        None, "--gold", exists=True, dir_okay=False, help="question,truth CSV of known labels"
    ),
    truth: Path | None = typer.Option(
        None, "--truth", exists=True, dir_okay=False, help="question,truth CSV to score against"
    ),
    out: Path = typer.Option(
        ..., "--out", dir_okay=False, help="where to write question,label,confidence"
    ),
) -> None:
    """Aggregate crowd answers into one label and a posterior confidence per question."""
    if method not in ("mv", "wmv", "ds", "ods"):
        raise typer.BadParameter(
            f"unknown method {method!r}; choose mv, wmv, ds or ods", param_hint="--method"
        )
    try:
        codes = read_answers(answers)
        fit_options: dict[str, Any] = {}
        if gold is not None:
            if method == "mv":
                raise typer.BadParameter("mv ignores gold; use wmv, ds or ods", param_hint="--gold")
            gold_item, gold_label = read_truth(gold, codes)
            fit_options = {"gold_item": gold_item, "gold_label": gold_label}
        elif method == "wmv":
            raise typer.BadParameter(
                "wmv weighs workers by gold accuracy: give --gold", param_hint="--gold"
            )
        name = "gds" if method == "ds" and gold is not None else method
        fitted = make_aggregator(name).fit(codes.item, codes.worker, codes.label, **fit_options)
        scored = read_truth(truth, codes) if truth is not None else None
    except LabelcrewError as exc:
        fail(exc)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "label", "confidence"])
        for question, label, confidence in zip(
            codes.item_ids.tolist(),
            codes.label_ids[fitted.labels_].tolist(),
            fitted.confidence_.tolist(),
            strict=True,
        ):
            writer.writerow([question, label, f"{confidence:.6f}"])
    console.print(f"wrote {len(codes.item_ids)} labels ({name}) to {out}")
    if scored is not None:
        truth_item, truth_label = scored
        hits = int((fitted.labels_[truth_item] == truth_label).sum())
        console.print(f"accuracy {hits / max(len(truth_item), 1):.4f} ({hits}/{len(truth_item)})")


def bench_aggregate_command(
    synthetic_answers: int = typer.Option(2_000_000, "--synthetic-answers", min=3),
    as_json: bool = typer.Option(False, "--json", help="print the JSON report only"),
) -> None:
    """Our MV / Dawid-Skene / one-coin against crowd-kit's: time, accuracy, speed-up, memory."""
    from labelcrew.benchmarks.aggregate import run

    report = run(synthetic=synthetic_answers)
    if as_json:
        print(json.dumps(report, indent=2))
        return
    table = Table(title=f"aggregation vs crowd-kit ({report['crowdkit']})")
    columns = (
        "dataset",
        "ours",
        "ours s",
        "theirs s",
        "speed-up",
        "cpu speed-up",
        "ours acc",
        "theirs acc",
    )
    for column in columns:
        table.add_column(column)
    for row in report["rows"]:
        table.add_row(
            row["dataset"], row["ours"], str(row["ours_seconds"]), str(row.get("theirs_seconds", "-")),
            str(row.get("speedup", "-")), str(row.get("cpu_speedup", "-")), str(row["ours_accuracy"]), str(row.get("theirs_accuracy", "-")),
        )  # fmt: skip
    console.print(table)
    console.print(
        f"our peak RSS {report['ours_peak_rss_mb']} MB, our DS tracemalloc peak "
        f"{report['ours_ds_tracemalloc_peak_mb']} MB on {report['ours_ds_tracemalloc_on']}"
    )
    console.print(json.dumps(report))


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command("aggregate")(aggregate_command)
    bench.command("aggregate")(bench_aggregate_command)
