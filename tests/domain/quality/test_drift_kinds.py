"""How fast the member chart catches each kind of drift (issue 21), over many simulated
members: a step, a gradual decline, one class given for another, and a step near the member's
100th answer (before the old warm-up ended). Figures at full size: bench/RESULTS.md."""

from __future__ import annotations

import pytest

from labelcrew.benchmarks.drift import DriftBenchConfig, run


@pytest.mark.parametrize(
    ("kind", "gold_before", "median_at_most"),
    [("step", 300, 15), ("early", 7, 20), ("gradual", 300, 30), ("confusion", 300, 30)],
)
def test_each_kind_of_drift_is_caught(kind: str, gold_before: int, median_at_most: int) -> None:
    cfg = DriftBenchConfig(
        drifting=150,
        steady=1,
        steady_gold=100,
        gold_before=gold_before,
        gold_rate=0.07,
        classes=4,
        drift_kind="step" if kind == "early" else kind,
        seed=11,
    )
    found = run(cfg)["gold_and_agreement"]
    assert found["clean_before_change"] > 0.95
    assert found["missed"] <= 2
    assert found["median_delay_gold"] <= median_at_most, found


def test_an_unknown_kind_is_refused_by_name() -> None:
    from labelcrew.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        DriftBenchConfig(drift_kind="sideways")
    assert caught.value.field == "kind" and "sideways" in caught.value.message
