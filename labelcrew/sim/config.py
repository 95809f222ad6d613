"""The simulator's settings: the team, the project and what it holds."""

from __future__ import annotations

from dataclasses import dataclass

from labelcrew.sim.annotators import DRIFT_KINDS


@dataclass
class SimConfig:
    annotators: int = 50
    items: int = 20000
    drifters: int = 5
    spammers: int = 2
    classes: int = 5
    overlap: int = 3
    dynamic: bool = False
    gold_rate: float = 0.1
    gold_share: float = 0.05
    honeypot_share: float = 0.01  # of the items; honeypots are gold of their own kind
    inattentive: int = 1  # honest members who rush: they miss honeypots, not gold
    drift_kinds: tuple[str, ...] = DRIFT_KINDS
    seed: int = 1
    slug: str = "sim"
