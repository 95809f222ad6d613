"""The expected false-alarm rate beside every alert threshold (issue 21, part 2).

A lead who reads "accuracy looks lower" must be able to tell how often the test cries wolf.
Each alert kind the quality engine raises has its threshold and the false-alarm rate it was
designed or measured for, with where the figure comes from; `expected` is attached to every
alert's evidence (`services/quality/alerts.raise_alert`).

- ``accuracy_drop``: the per-member CUSUM over gold answers and agreement checks
  (:mod:`.drift.member`), limit set for an in-control run length of 10,000 gold answers
  (design bound 1 per 10,000); measured on short, mixed histories, where the baseline is
  still being estimated, with ``labelcrew bench drift`` (bench/RESULTS.md, drift calibration).
- ``confusion_drift``: a CUSUM per (true, given) class pair, h = 8 nats (:mod:`.drift.confusion`).
- ``label_shift``: chi-square test of a member's latest 200 labels against the team's at
  alpha = 0.001 per test (:mod:`.drift.labels`).
- ``honeypot_miss``: 2 misses among the latest 10 honeypots: the binomial tail for an
  attentive member missing 2 % of honeypots (and 5 %), per window of 10.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from scipy import stats

DRIFT_BENCH = "labelcrew bench drift --steady 3000 --steady-gold 300 (bench/RESULTS.md)"
# Measured 2026-12-04, the highest of the calibration runs (bench/RESULTS.md, drift calibration)
ACCURACY_DROP_MEASURED = 0.91
CONFUSION_MEASURED = 0.23  # per 10,000 gold answers at 3 % per-pair confusion (confusion.py)
HONEYPOT_WINDOW, HONEYPOT_ALERT = 10, 2


def _binomial_tail(misses: int, window: int, rate: float) -> float:
    return float(stats.binom.sf(misses - 1, window, rate))


@cache
def table() -> dict[str, dict[str, Any]]:
    """Every alert kind's threshold and expected false alarms, as shown to leads."""
    return {
        "accuracy_drop": {
            "threshold": "CUSUM limit for an in-control run of 10,000 gold answers",
            "design_per_10000_gold": 1.0,
            "measured_per_10000_gold": ACCURACY_DROP_MEASURED,
            "source": DRIFT_BENCH,
        },
        "confusion_drift": {
            "threshold": "8 nats per (true, given) class pair",
            "measured_per_10000_gold": CONFUSION_MEASURED,
            "source": "labelcrew/domain/quality/drift/confusion.py (simulated null)",
        },
        "label_shift": {
            "threshold": "chi-square p < 0.001 over the member's latest 200 labels",
            "per_test": 0.001,
            "source": "the test's level (labelcrew/domain/quality/drift/labels.py)",
        },
        "honeypot_miss": {
            "threshold": f"{HONEYPOT_ALERT} misses among the latest {HONEYPOT_WINDOW} honeypots",
            "per_window_at_2pct_misses": round(
                _binomial_tail(HONEYPOT_ALERT, HONEYPOT_WINDOW, 0.02), 4
            ),
            "per_window_at_5pct_misses": round(
                _binomial_tail(HONEYPOT_ALERT, HONEYPOT_WINDOW, 0.05), 4
            ),
            "source": "binomial tail (scipy.stats.binom)",
        },
    }


def expected(kind: str) -> dict[str, Any] | None:
    """The expected false-alarm figures of one alert kind; None for kinds without a test."""
    return table().get(kind)
