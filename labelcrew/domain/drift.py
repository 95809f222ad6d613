"""Drift per member: the quality engine's sequential tests, in one namespace.

- :mod:`~labelcrew.domain.drift_cusum`: design of a Bernoulli CUSUM on one stream (Page 1954;
  Reynolds & Stoumbos 1999) with its exact average run length (Brook & Evans 1972).
- :mod:`~labelcrew.domain.drift_chart`: that chart, self-starting, on a member's gold answers,
  streaming and vectorised.
- :mod:`~labelcrew.domain.drift_labels`: label-distribution shift against the team
  (chi-square, Jensen-Shannon).
"""

from __future__ import annotations

from labelcrew.domain.drift_alert import ACCURACY_DROP, LABEL_SHIFT, Alert
from labelcrew.domain.drift_chart import (
    AccuracyDriftDetector,
    DriftOptions,
    cusum_alarms,
    detect_accuracy_drift,
)
from labelcrew.domain.drift_cusum import (
    CusumDesign,
    average_run_length,
    design_cusum,
    estimate_baseline,
)
from labelcrew.domain.drift_labels import LabelShiftTest, js_divergence, label_shift

__all__ = [
    "ACCURACY_DROP",
    "LABEL_SHIFT",
    "AccuracyDriftDetector",
    "Alert",
    "CusumDesign",
    "DriftOptions",
    "LabelShiftTest",
    "average_run_length",
    "cusum_alarms",
    "design_cusum",
    "detect_accuracy_drift",
    "estimate_baseline",
    "js_divergence",
    "label_shift",
]
