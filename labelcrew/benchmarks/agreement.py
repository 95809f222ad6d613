"""Benchmark: our Krippendorff's alpha against the `krippendorff` package.

Both get the same synthetic data in their own input format, prepared before timing: ours the
long format (``item`` and ``value`` arrays, missing ratings absent), theirs the raters x units
reliability matrix with NaN for missing ratings. Times are the best of ``repeats`` runs; peak
memory is measured in a separate run under tracemalloc (NumPy reports its buffers to it), so
the timed runs are not slowed by tracing.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from importlib import metadata
from typing import Any

import numpy as np
import numpy.typing as npt

from labelcrew.domain.quality.agreement.alpha import krippendorff_alpha


def synthetic_ratings(
    raters: int, units: int, categories: int, missing: float, accuracy: float, seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Each unit has a true category; each rater gives it with probability ``accuracy`` and a
    uniform category otherwise; each rating is missing with probability ``missing``.

    Returns ``(item, value)`` in long format and the matching reliability matrix.
    """
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, categories, units)
    codes = np.where(
        rng.random((raters, units)) < accuracy, truth, rng.integers(0, categories, (raters, units))
    )
    present = rng.random((raters, units)) >= missing
    rater, item = np.nonzero(present)
    matrix = np.where(present, codes, np.nan)
    return item.astype(np.int64), codes[rater, item].astype(np.int64), matrix


def _best_time(run: Callable[[], float], repeats: int) -> tuple[float, float]:
    best, result = float("inf"), float("nan")
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def _peak_bytes(run: Callable[[], float]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(
    raters: int = 50,
    units: int = 200_000,
    categories: int = 5,
    missing: float = 0.1,
    level: str = "nominal",
    repeats: int = 3,
    seed: int = 0,
) -> dict[str, Any]:
    """Time both implementations on the same data and return the figures as a plain dict."""
    import krippendorff

    item, value, matrix = synthetic_ratings(raters, units, categories, missing, 0.7, seed)

    def ours() -> float:
        return krippendorff_alpha(item, value, level)

    def theirs() -> float:
        return float(krippendorff.alpha(matrix, level_of_measurement=level))  # type: ignore[arg-type]

    ours()  # warm caches and imports once for both
    theirs()
    our_seconds, our_alpha = _best_time(ours, repeats)
    their_seconds, their_alpha = _best_time(theirs, repeats)
    return {
        "benchmark": "agreement.krippendorff_alpha",
        "reference": f"krippendorff {metadata.version('krippendorff')}",
        "data": {
            "raters": raters,
            "units": units,
            "categories": categories,
            "missing": missing,
            "ratings": int(item.size),
            "level": level,
        },
        "ours_seconds": our_seconds,
        "reference_seconds": their_seconds,
        "speedup": their_seconds / our_seconds,
        "ours_alpha": our_alpha,
        "reference_alpha": their_alpha,
        "abs_difference": abs(our_alpha - their_alpha),
        "ours_peak_mib": _peak_bytes(ours) / 2**20,
        "reference_peak_mib": _peak_bytes(theirs) / 2**20,
        "input_mib": {
            "ours_long_format": (item.nbytes + value.nbytes) / 2**20,
            "reference_matrix": matrix.nbytes / 2**20,
        },
    }
