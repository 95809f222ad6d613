"""Drift per member: the quality engine's sequential tests, in one namespace.

- :mod:`~labelcrew.domain.quality.drift.cusum`: design of a Bernoulli CUSUM on one stream (Page 1954;
  Reynolds & Stoumbos 1999) with its exact average run length (Brook & Evans 1972).
- :mod:`~labelcrew.domain.quality.drift.chart`: that chart, self-starting, on a member's gold answers
  alone, streaming and vectorised (the gold-only reference).
- :mod:`~labelcrew.domain.quality.drift.consensus`: agreement checks against the other annotators whose
  arrival cannot depend on their outcome, and the one-coin model of how accuracy moves them.
- :mod:`~labelcrew.domain.quality.drift.llr`: one log-likelihood-ratio CUSUM over several kinds of
  Bernoulli evidence, designed for a false-alarm rate per gold answer.
- :mod:`~labelcrew.domain.quality.drift.member` / :mod:`~labelcrew.domain.quality.drift.team`: that chart on a
  member's gold answers and agreement checks together, streaming and vectorised, with alarms
  that carry the evidence of every stream.
- :mod:`~labelcrew.domain.quality.drift.labels`: label-distribution shift against the team
  (chi-square, Jensen-Shannon).
"""

from __future__ import annotations

from labelcrew.domain.quality.drift.alert import ACCURACY_DROP, LABEL_SHIFT, Alert
from labelcrew.domain.quality.drift.chart import (
    AccuracyDriftDetector,
    DriftOptions,
    cusum_alarms,
    detect_accuracy_drift,
)
from labelcrew.domain.quality.drift.consensus import (
    ConsensusModel,
    PeerObservations,
    peer_agreement,
)
from labelcrew.domain.quality.drift.cusum import (
    CusumDesign,
    average_run_length,
    design_cusum,
    estimate_baseline,
)
from labelcrew.domain.quality.drift.labels import LabelShiftTest, js_divergence, label_shift
from labelcrew.domain.quality.drift.llr import LlrDesign, design_llr_cusum
from labelcrew.domain.quality.drift.member import (
    CONSENSUS,
    GOLD,
    KINDS,
    PAIR,
    ChartPlan,
    DriftAlarm,
    MemberDriftDetector,
    MemberDriftOptions,
    MemberStream,
    PeerRates,
    StreamEvidence,
    accuracy_spread,
    detect_member_drift,
    merge_streams,
)
from labelcrew.domain.quality.drift.team import member_alarms

__all__ = [
    "ACCURACY_DROP",
    "CONSENSUS",
    "GOLD",
    "KINDS",
    "LABEL_SHIFT",
    "PAIR",
    "AccuracyDriftDetector",
    "Alert",
    "ChartPlan",
    "ConsensusModel",
    "CusumDesign",
    "DriftAlarm",
    "DriftOptions",
    "LabelShiftTest",
    "LlrDesign",
    "MemberDriftDetector",
    "MemberDriftOptions",
    "MemberStream",
    "PeerObservations",
    "PeerRates",
    "StreamEvidence",
    "accuracy_spread",
    "average_run_length",
    "cusum_alarms",
    "design_cusum",
    "design_llr_cusum",
    "detect_accuracy_drift",
    "detect_member_drift",
    "estimate_baseline",
    "js_divergence",
    "label_shift",
    "member_alarms",
    "merge_streams",
    "peer_agreement",
]
