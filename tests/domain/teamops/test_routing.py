"""Difficulty ladder, tier order per level and status, and the redistribution planner."""

from __future__ import annotations

from labelcrew.domain.teamops import seniority as routing
from labelcrew.domain.teamops.seniority import Candidate, spread_ties


def test_raised_climbs_the_ladder_and_stops():
    assert routing.raised("easy") == "normal"
    assert routing.raised("normal") == "hard"
    assert routing.raised("hard") == "hard"
    assert routing.raised("weird") == "hard"


def test_tiers():
    assert routing.tiers("senior", "active") == [("hard",), ("easy", "normal")]
    assert routing.tiers("annotator", "active") == [("easy", "normal"), ("hard",)]
    for status in ("probation", "onboarding"):
        tiers = routing.tiers("senior", status)
        assert all("hard" not in t for t in tiers)
        assert tiers[0] == ("easy",)


def test_disagree():
    assert routing.disagree(["a", "b"]) is True
    assert routing.disagree(["a", "a", None]) is False
    assert routing.disagree([]) is False


def test_skills_cover():
    assert routing.skills_cover(["de", "med:2"], {"de": 1, "med": 3})
    assert not routing.skills_cover(["med:4"], {"med": 3})
    assert not routing.skills_cover(["fr"], {"de": 1})
    assert not routing.skills_cover(["med:2"], {"med": "expert"})


def test_plan_moves_prefers_spare_capacity_skills_and_limit():
    cands = [Candidate(1, {"de": 1}, 5), Candidate(2, {}, 8), Candidate(3, {"de": 2}, 1)]
    units = [(10, ["de"], 3), (11, [], 4), (12, [], 4), (13, ["de"], 2)]
    moves = routing.plan_moves(units, cands, limit=100)
    # 10 (de, 3) -> 1 (spare 5 > 1); 11 -> 2 (8); 12 -> 2 (4 left >= 4); 13 (de, 2) -> 1 (2 left)
    assert moves == [(10, 1), (11, 2), (12, 2), (13, 1)]
    limited = routing.plan_moves(units, cands, limit=7)
    assert sum(size for uid, _, size in units if uid in dict(limited)) <= 7
    anyone = routing.plan_moves([(20, ["fr"], 1)], cands, limit=5, require_skills=False)
    assert anyone == [(20, 2)]
    assert routing.plan_moves([(20, ["fr"], 1)], cands, limit=5) == []


def test_spread_ties_rotates_only_the_top_priority_run() -> None:
    rows = [(1, [], 5), (2, [], 5), (3, [], 5), (4, [], 1), (5, [], 1)]
    assert [i for i, _, _ in spread_ties(rows, 0)] == [1, 2, 3, 4, 5]
    assert [i for i, _, _ in spread_ties(rows, 1)] == [2, 3, 1, 4, 5]
    assert [i for i, _, _ in spread_ties(rows, 5)] == [3, 1, 2, 4, 5]
    assert spread_ties([], 7) == []


def test_spread_ties_keeps_every_candidate_once() -> None:
    rows = [(i, ["x"], 0) for i in range(16)]
    for seed in range(40):
        out = spread_ties(rows, seed)
        assert sorted(i for i, _, _ in out) == list(range(16))
        assert out[0][0] == seed % 16
        assert all(req == ["x"] for _, req, _ in out)
