"""`labelcrew agreement` and `labelcrew bench agreement` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labelcrew.cli import app
from labelcrew.domain.quality.agreement.summary import krippendorff_alpha
from tests.conftest import DATASETS

S_DOG = DATASETS / "s_dog" / "answer.csv"
runner = CliRunner()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.csv"
    path.write_text(text, encoding="utf-8")
    return path


TINY = """question,worker,answer
q1,ann,1
q1,bob,1
q1,cy,2
q2,ann,3
q2,bob,3
q3,ann,2
q3,cy,2
q3,bob,2
"""


def test_json_summary_of_a_tiny_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["agreement", str(write(tmp_path, TINY)), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["counts"] == {
        "ratings": 8,
        "items": 3,
        "raters": 3,
        "pairable_items": 3,
        "categories": 3,
    }
    items = ["q1", "q1", "q1", "q2", "q2", "q3", "q3", "q3"]
    values = [1, 1, 2, 3, 3, 2, 2, 2]
    assert summary["alpha"]["nominal"] == pytest.approx(krippendorff_alpha(items, values))


def test_level_option_adds_that_alpha(tmp_path: Path) -> None:
    path = write(tmp_path, TINY)
    result = runner.invoke(app, ["agreement", str(path), "--level", "ordinal", "--json"])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.output)["alpha"]) == {"nominal", "ordinal"}


def test_table_output_names_the_measures(tmp_path: Path) -> None:
    result = runner.invoke(app, ["agreement", str(write(tmp_path, TINY))])
    assert result.exit_code == 0, result.output
    for text in ("Fleiss' kappa", "Krippendorff's alpha (nominal)", "Per label"):
        assert text in result.output


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("question,worker,answer\nq1,ann,1\nq1,bob\n", "line 3"),
        ("question,worker,answer\nq1,ann,1\nq1,,2\n", "line 3"),
        ("question,worker,answer\nq1,ann,1\nq2,bob,1\nq1,ann,2\n", "line 4"),
        ("item,rater,value\nq1,ann,1\n", "line 1"),
    ],
)
def test_bad_rows_name_their_line(tmp_path: Path, text: str, needle: str) -> None:
    result = runner.invoke(app, ["agreement", str(write(tmp_path, text))])
    assert result.exit_code == 1
    assert needle in result.output


def test_string_answers_refuse_a_numeric_level(tmp_path: Path) -> None:
    text = "question,worker,answer\nq1,ann,cat\nq1,bob,dog\n"
    result = runner.invoke(app, ["agreement", str(write(tmp_path, text)), "--level", "interval"])
    assert result.exit_code == 1
    assert "agreement_not_numeric" in result.output


def test_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["agreement", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1


@pytest.mark.skipif(not S_DOG.exists(), reason="shared dataset not present")
def test_s_dog_dataset() -> None:
    result = runner.invoke(app, ["agreement", str(S_DOG), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["counts"]["ratings"] == 8070
    assert summary["counts"]["items"] == 807
    assert summary["counts"]["raters"] == 109
    assert 0.4 < summary["alpha"]["nominal"] < 0.7
    assert summary["fleiss_kappa"] == pytest.approx(summary["alpha"]["nominal"], abs=0.01)
    assert [row["label"] for row in summary["per_label"]] == [0, 1, 2, 3]


def test_bench_agreement_small_run() -> None:
    args = ["bench", "agreement", "--raters", "5", "--units", "300", "--repeats", "1", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["abs_difference"] < 1e-9
    assert figures["ours_seconds"] > 0 and figures["reference_seconds"] > 0
    assert figures["speedup"] == pytest.approx(
        figures["reference_seconds"] / figures["ours_seconds"]
    )
