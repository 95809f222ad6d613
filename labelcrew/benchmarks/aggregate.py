"""Benchmark: our aggregators against crowd-kit's, on the survey data and a synthetic set.

Method pairs: mv/MajorityVote, ds/DawidSkene, ods/OneCoinDawidSkene, each side with its
defaults (ours as `make_aggregator` configures them). Inputs are prepared before timing: ours
gets integer codes, crowd-kit a DataFrame ``task, worker, label``. Our methods all run first
so that the process's peak RSS at that point is ours alone; our peak Python-heap memory is
measured in a separate tracemalloc run of our Dawid-Skene (NumPy reports its buffers to it).

Timing: each fit is wrapped in ``time.perf_counter`` (wall) and ``time.process_time`` (CPU of
the whole process, so threads count); ours and crowd-kit's are measured the same way, in the
same process, alternating ours / theirs for ``repeats`` rounds, and the medians are reported
with both ratios (wall and CPU). On a shared, loaded machine the CPU ratio is the steadier.
"""

from __future__ import annotations

import os
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from labelcrew.domain.aggregation.methods import encode_answers, make_aggregator

# The shared crowd data sets live beside the checkout (../shared/datasets); LABELCREW_DATASETS
# points elsewhere.
DATASETS = Path(
    os.environ.get(
        "LABELCREW_DATASETS", Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
    )
)
PAIRS = (("mv", "MajorityVote"), ("ds", "DawidSkene"), ("ods", "OneCoinDawidSkene"))


def synthetic_answers(
    n_answers: int, n_classes: int = 5, n_workers: int = 50, overlap: int = 3, seed: int = 7
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Items get ``overlap`` distinct random workers; a worker with accuracy ~ U(0.5, 0.95)
    answers right, else a uniformly chosen wrong class. Returns (item, worker, label, truth)."""
    rng = np.random.default_rng(seed)
    n_items = -(-n_answers // overlap)
    truth = rng.integers(0, n_classes, n_items)
    item = np.repeat(np.arange(n_items), overlap)[:n_answers]
    # The first `overlap` columns of a random permutation per item: distinct workers.
    worker = np.argsort(rng.random((n_items, n_workers)), axis=1)[:, :overlap].ravel()[:n_answers]
    accuracy = rng.uniform(0.5, 0.95, n_workers)
    right = rng.random(n_answers) < accuracy[worker]
    wrong = (truth[item] + rng.integers(1, n_classes, n_answers)) % n_classes
    label = np.where(right, truth[item], wrong)
    return item.astype(np.intp), worker.astype(np.intp), label.astype(np.intp), truth


def _load(name: str) -> dict[str, Any]:
    import csv

    with (DATASETS / name / "answer.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    questions, workers, answers = (np.array(column) for column in zip(*rows, strict=True))
    codes = encode_answers(questions, workers, answers)
    with (DATASETS / name / "truth.csv").open(newline="") as handle:
        truth_rows = list(csv.reader(handle))[1:]
    position = {question: code for code, question in enumerate(codes.item_ids.tolist())}
    label_code = {label: code for code, label in enumerate(codes.label_ids.tolist())}
    known = [(position[q], label_code.get(t, -1)) for q, t in truth_rows if q in position]
    truth_item, truth_label = (np.array(column) for column in zip(*known, strict=True))
    return {
        "name": name,
        "item": codes.item,
        "worker": codes.worker,
        "label": codes.label,
        "truth_item": truth_item,
        "truth_label": truth_label,
    }


def _synthetic(n_answers: int) -> dict[str, Any]:
    item, worker, label, truth = synthetic_answers(n_answers)
    return {
        "name": f"synthetic_{n_answers}",
        "item": item,
        "worker": worker,
        "label": label,
        "truth_item": np.arange(len(truth)),
        "truth_label": truth,
    }


def _timed(run: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of one call, and its result."""
    start, start_cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - start, time.process_time() - start_cpu, result


def _medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """Median wall and median CPU seconds over repeated runs."""
    return (
        statistics.median(wall for wall, _ in runs),
        statistics.median(cpu for _, cpu in runs),
    )


def _accuracy(labels: npt.NDArray[Any], data: dict[str, Any]) -> float:
    return float((labels[data["truth_item"]] == data["truth_label"]).mean())


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(
    synthetic: int = 2_000_000,
    datasets: tuple[str, ...] = ("d_jn_product", "s_dog"),
    repeats: int = 3,
) -> dict[str, Any]:
    sets = [_load(name) for name in datasets if (DATASETS / name / "answer.csv").exists()]
    sets.append(_synthetic(synthetic))
    load_before = os.getloadavg()
    rows: list[dict[str, Any]] = []
    ours_runs: list[list[tuple[float, float]]] = []
    for data in sets:
        for ours_name, theirs_name in PAIRS:
            runs = []
            for _ in range(repeats):
                seconds, cpu, fitted = _timed(partial(_fit_ours, ours_name, data))
                runs.append((seconds, cpu))
            ours_runs.append(runs)
            rows.append(
                {
                    "dataset": data["name"],
                    "answers": len(data["item"]),
                    "ours": ours_name,
                    "theirs": f"crowdkit.{theirs_name}",
                    "ours_accuracy": round(_accuracy(fitted.labels_, data), 4),
                    "ours_iterations": getattr(fitted, "n_iter_", None),
                }
            )
    biggest = sets[-1]
    ours_peak_rss = _peak_rss_mb()
    tracemalloc.start()
    make_aggregator("ds").fit(biggest["item"], biggest["worker"], biggest["label"])
    ours_traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    report: dict[str, Any] = {
        "repeats": repeats,
        "load_average_before": [round(load, 2) for load in load_before],
        "ours_peak_rss_mb": round(ours_peak_rss, 1),
        "ours_ds_tracemalloc_peak_mb": round(ours_traced, 1),
        "ours_ds_tracemalloc_on": biggest["name"],
        "rows": rows,
    }
    try:
        import pandas as pd
        from crowdkit import aggregation as crowdkit
    except ImportError as exc:
        for current, runs in zip(rows, ours_runs, strict=True):
            _store(current, "ours", runs)
        report["crowdkit"] = f"not importable ({exc}); only our figures are shown"
        return report
    report["crowdkit"] = metadata.version("crowd-kit")
    row = iter(rows)
    for data in sets:
        frame = pd.DataFrame(
            {"task": data["item"], "worker": data["worker"], "label": data["label"]}
        )
        for ours_name, theirs_name in PAIRS:
            current = next(row)
            ours, theirs = [], []
            # Alternate the two so that a change of machine load hits both sides alike.
            for _ in range(repeats):
                seconds, cpu, _fitted = _timed(partial(_fit_ours, ours_name, data))
                ours.append((seconds, cpu))
                model = getattr(crowdkit, theirs_name)()
                seconds, cpu, labels = _timed(partial(model.fit_predict, frame))
                theirs.append((seconds, cpu))
            _store(current, "ours", ours)
            _store(current, "theirs", theirs)
            dense = labels.reindex(range(int(data["item"].max()) + 1)).to_numpy()
            current["theirs_accuracy"] = round(_accuracy(dense, data), 4)
            current["speedup"] = round(
                current["theirs_seconds"] / max(current["ours_seconds"], 1e-9), 1
            )
            current["cpu_speedup"] = round(
                current["theirs_cpu_seconds"] / max(current["ours_cpu_seconds"], 1e-9), 1
            )
    report["peak_rss_mb_with_crowdkit"] = round(_peak_rss_mb(), 1)
    report["load_average_after"] = [round(load, 2) for load in os.getloadavg()]
    return report


def _fit_ours(method: str, data: dict[str, Any]) -> Any:
    return make_aggregator(method).fit(data["item"], data["worker"], data["label"])


def _store(row: dict[str, Any], side: str, runs: list[tuple[float, float]]) -> None:
    """Median wall and CPU seconds of one side, and each run's CPU seconds."""
    seconds, cpu = _medians(runs)
    row[f"{side}_seconds"] = round(seconds, 4)
    row[f"{side}_cpu_seconds"] = round(cpu, 4)
    row[f"{side}_cpu_runs"] = [round(run_cpu, 4) for _, run_cpu in runs]
