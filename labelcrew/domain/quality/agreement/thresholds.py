"""Agreement thresholds and the alerts they raise when a measure crosses them.

The defaults follow Krippendorff (2004), *Content Analysis*, 2nd ed.: rely on data with
alpha >= .800 and use .667 <= alpha < .800 only for tentative conclusions. labelcrew puts the
warning line at 0.6, the boundary between "moderate" and "substantial" agreement of Landis, J. R.
& Koch, G. G. (1977), *Biometrics* 33(1), 159-174, so that kappas read on the same scale.
Both numbers are configurable per project.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from labelcrew.errors import ValidationFailed

AgreementLevel = Literal["strong", "acceptable", "warning"]
_RANK: dict[str, int] = {"warning": 0, "acceptable": 1, "strong": 2}


@dataclass(frozen=True)
class Crossing:
    """A move of an agreement measure from one level to another."""

    previous: AgreementLevel
    current: AgreementLevel

    @property
    def direction(self) -> Literal["up", "down"]:
        return "up" if _RANK[self.current] > _RANK[self.previous] else "down"

    def __str__(self) -> str:
        return f"{self.previous}→{self.current}"


@dataclass(frozen=True)
class AgreementThresholds:
    """``value >= strong`` is "strong", ``value < warning`` is "warning", else "acceptable"."""

    strong: float = 0.8
    warning: float = 0.6

    def __post_init__(self) -> None:
        if not (math.isfinite(self.strong) and math.isfinite(self.warning)):
            raise ValidationFailed(
                "thresholds must be finite", code="agreement_bad_thresholds", field="strong"
            )
        if self.warning > self.strong:
            raise ValidationFailed(
                f"warning threshold {self.warning} is above strong threshold {self.strong}",
                code="agreement_bad_thresholds",
                field="warning",
            )

    def classify(self, value: float) -> AgreementLevel:
        """The level of one agreement value; NaN (undefined agreement) raises ValidationFailed."""
        if math.isnan(value):
            raise ValidationFailed(
                "agreement is undefined (NaN) and has no level",
                code="agreement_undefined",
                field="value",
            )
        if value >= self.strong:
            return "strong"
        if value < self.warning:
            return "warning"
        return "acceptable"

    def classify_or_none(self, value: float | None) -> AgreementLevel | None:
        """`classify`, but None for a missing or undefined value."""
        if value is None or math.isnan(value):
            return None
        return self.classify(value)


def crossing(
    previous: float | None, current: float | None, thresholds: AgreementThresholds
) -> Crossing | None:
    """The level change between two successive measurements, or None if the level held.

    None too when either value is missing or undefined (NaN): there is no level to move from
    or to, so a caller that wants to alert on a first measurement classifies it directly.
    """
    before = thresholds.classify_or_none(previous)
    after = thresholds.classify_or_none(current)
    if before is None or after is None or before == after:
        return None
    return Crossing(before, after)
