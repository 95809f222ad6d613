"""`labelcrew aggregate` through Typer's CliRunner (the command lives in labelcrew.cli.aggregate)."""

from __future__ import annotations

import csv
from pathlib import Path

import typer
from typer.testing import CliRunner

from labelcrew.cli.aggregate import register

runner = CliRunner()


def make_app() -> typer.Typer:
    app, bench = typer.Typer(), typer.Typer()
    register(app, bench)
    app.add_typer(bench, name="bench")
    return app


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


ANSWERS = """question,worker,answer
q1,alice,cat
q1,bob,cat
q1,carol,dog
q2,alice,dog
q2,bob,dog
q2,carol,dog
q3,alice,cat
q3,bob,dog
q3,carol,dog
"""


def test_writes_labels_and_confidence_and_scores_truth(tmp_path: Path) -> None:
    answers = write(tmp_path / "answers.csv", ANSWERS)
    truth = write(tmp_path / "truth.csv", "question,truth\nq1,cat\nq2,dog\nq3,cat\n")
    out = tmp_path / "out.csv"
    result = runner.invoke(
        make_app(),
        ["aggregate", str(answers), "--method", "mv", "--truth", str(truth), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [(r["question"], r["label"], r["confidence"]) for r in rows] == [
        ("q1", "cat", "0.666667"),
        ("q2", "dog", "1.000000"),
        ("q3", "dog", "0.666667"),
    ]
    assert "accuracy 0.6667 (2/3)" in result.output


def test_gold_seeds_dawid_skene_and_weights_wmv(tmp_path: Path) -> None:
    answers = write(tmp_path / "answers.csv", ANSWERS)
    gold = write(tmp_path / "gold.csv", "question,truth\nq3,cat\n")
    for method, used in (("ds", "gds"), ("wmv", "wmv"), ("ods", "ods")):
        out = tmp_path / f"{method}.csv"
        result = runner.invoke(
            make_app(),
            ["aggregate", str(answers), "--method", method, "--gold", str(gold), "--out", str(out)],
        )
        assert result.exit_code == 0, result.output
        assert f"({used})" in result.output
        labels = {r["question"]: r for r in csv.DictReader(out.read_text().splitlines())}
        if method != "wmv":  # EM methods pin gold items to their known label
            assert (labels["q3"]["label"], labels["q3"]["confidence"]) == ("cat", "1.000000")


def test_errors_name_the_bad_line(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    bad_row = write(tmp_path / "a.csv", "question,worker,answer\nq1,alice,cat\nq1,bob\n")
    result = runner.invoke(make_app(), ["aggregate", str(bad_row), "--out", str(out)])
    assert result.exit_code == 1
    assert "line 3" in result.output and "aggregation_bad_row" in result.output
    duplicate = write(tmp_path / "b.csv", "question,worker,answer\nq1,alice,cat\nq1,alice,dog\n")
    result = runner.invoke(make_app(), ["aggregate", str(duplicate), "--out", str(out)])
    assert "line 3" in result.output and "already answered question 'q1' on line 2" in result.output
    header = write(tmp_path / "c.csv", "item,worker,answer\n")
    result = runner.invoke(make_app(), ["aggregate", str(header), "--out", str(out)])
    assert "line 1" in result.output and "aggregation_bad_header" in result.output
    answers = write(tmp_path / "answers.csv", ANSWERS)
    gold = write(tmp_path / "gold.csv", "question,truth\nq1,cat\nq2,bird\n")
    result = runner.invoke(
        make_app(),
        ["aggregate", str(answers), "--method", "ds", "--gold", str(gold), "--out", str(out)],
    )
    assert result.exit_code == 1 and "line 3" in result.output and "'bird'" in result.output
    result = runner.invoke(
        make_app(), ["aggregate", str(answers), "--method", "glad", "--out", str(out)]
    )
    assert result.exit_code == 2 and "unknown method" in result.output
    result = runner.invoke(
        make_app(), ["aggregate", str(answers), "--method", "wmv", "--out", str(out)]
    )
    assert result.exit_code == 2 and "--gold" in result.output
