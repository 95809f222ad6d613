"""Consensus per field kind, its confidence, and the item's confidence (issue 16)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from labelcrew.domain.aggregation import fields as consensus_module
from labelcrew.domain.aggregation.em import DawidSkene
from labelcrew.domain.aggregation.fields import (
    FIELD_CONSENSUS_METHODS,
    FieldConsensus,
    field_consensus,
    item_confidence,
)
from labelcrew.domain.schema.label_schema import KINDS, LabelSchema
from labelcrew.errors import ValidationFailed

crowdkit = pytest.importorskip("crowdkit.aggregation")

SCHEMA = LabelSchema.parse(
    {
        "fields": [
            {"name": "topic", "kind": "single_choice", "options": ["a", "b", "c"]},
            {"name": "severity", "kind": "rating", "min": 1, "max": 5, "step": 1},
            {"name": "quarter", "kind": "rating", "min": 0, "max": 1, "step": 0.25},
            {"name": "score", "kind": "rating", "min": 0, "max": 10},
            {"name": "tags", "kind": "multi_choice", "options": ["x", "y", "z"]},
            {
                "name": "one_tag",
                "kind": "multi_choice",
                "options": ["x", "y", "z"],
                "min_selected": 1,
                "max_selected": 1,
            },
            {"name": "order", "kind": "ranking", "candidates": 4},
            {"name": "tied", "kind": "ranking", "candidates": 3, "allow_ties": True},
            {"name": "entities", "kind": "spans", "labels": ["PER", "ORG"]},
            {"name": "boxes", "kind": "bbox", "labels": ["car", "bus"]},
            {"name": "note", "kind": "text"},
        ]
    }
)


def consensus(
    name: str, answers: list[tuple[Any, Any, Any]], **kw: Any
) -> dict[Any, FieldConsensus]:
    return field_consensus(SCHEMA.field(name), answers, **kw)


def span(start: int, end: int, label: str = "PER") -> dict[str, Any]:
    return {"start": start, "end": end, "label": label}


def box(x: float, y: float, w: float, h: float, label: str = "car") -> dict[str, Any]:
    return {"x": x, "y": y, "w": w, "h": h, "label": label}


def test_every_kind_has_a_named_method() -> None:
    assert set(FIELD_CONSENSUS_METHODS) == set(KINDS)


# --- identical labels: that label, confidence 1 --------------------------------------------


def _valid(name: str) -> st.SearchStrategy[Any]:
    field = SCHEMA.field(name)
    return VALUES[name].map(lambda v: field.validate(v, name, None)).filter(lambda v: v is not None)


def _checked(name: str, raw: Any) -> Any:
    try:
        return SCHEMA.field(name).validate(raw, name, None)
    except ValidationFailed:
        return None


def _tie_groups(order: list[int], cuts: list[bool]) -> list[list[int]]:
    groups = [[order[0]]]
    for candidate, cut in zip(order[1:], cuts, strict=True):
        if cut:
            groups.append([candidate])
        else:
            groups[-1].append(candidate)
    return groups


spans_raw = st.lists(
    st.tuples(st.integers(0, 30), st.integers(1, 6), st.sampled_from(["PER", "ORG"])), max_size=4
).map(lambda rows: [span(s, s + n, lab) for s, n, lab in rows])
boxes_raw = st.lists(
    st.tuples(
        st.integers(0, 40),
        st.integers(0, 40),
        st.one_of(st.integers(1, 20), st.floats(0.5, 20)),
        st.integers(1, 20),
        st.sampled_from(["car", "bus"]),
    ),
    max_size=4,
).map(lambda rows: [box(*row) for row in rows])

VALUES: dict[str, st.SearchStrategy[Any]] = {
    "topic": st.sampled_from(["a", "b", "c"]),
    "severity": st.integers(1, 5),
    "quarter": st.sampled_from([0, 0.25, 0.5, 0.75, 1]),
    "score": st.floats(0, 10),
    "tags": st.lists(st.sampled_from(["x", "y", "z"]), unique=True),
    "one_tag": st.sampled_from(["x", "y", "z"]).map(lambda o: [o]),
    "order": st.permutations([0, 1, 2, 3]).map(list),
    "tied": st.permutations([0, 1, 2]).flatmap(
        lambda order: st.lists(st.booleans(), min_size=2, max_size=2).map(
            lambda cuts: _tie_groups(list(order), cuts)
        )
    ),
    "entities": spans_raw,
    "boxes": boxes_raw,
    "note": st.text(max_size=20),
}


def canonical(name: str, value: Any) -> Any:
    """The form two equal values share: sets for choices, sorted regions."""
    field = SCHEMA.field(name)
    if field.kind in ("spans", "bbox"):
        return sorted(tuple(sorted(region.items())) for region in value)
    return field.agreement_value(value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    data=st.data(),
    name=st.sampled_from(sorted(VALUES)),
    method=st.sampled_from(["mv", "ds", "ods"]),
)
def test_identical_labels_give_that_label_with_confidence_one(
    data: Any, name: str, method: str
) -> None:
    # mv: every item may have its own value. ds/ods: one value for the whole project (under a
    # worker model, a unanimous item in a varied project keeps a posterior below 1; see below).
    n_items = data.draw(st.integers(1, 3))
    n_workers = data.draw(st.integers(1, 5))
    raw = data.draw(VALUES[name])
    first = _checked(name, raw)
    assume(first is not None)
    values = [first]
    for _ in range(1, n_items):
        other = _checked(name, data.draw(VALUES[name])) if method == "mv" else first
        assume(other is not None)
        values.append(other)
    answers = [(i, f"w{w}", values[i]) for i in range(n_items) for w in range(n_workers)]
    result = consensus(name, answers, method=method)
    assert sorted(result) == list(range(n_items))
    for i, value in enumerate(values):
        got = result[i]
        assert got.n_labels == n_workers and not got.tied
        if name == "note":
            assert (got.value, got.confidence) == (None, None)
            assert got.detail == {"values": [value] * n_workers}
            continue
        assert canonical(name, got.value) == canonical(name, value)
        assert got.confidence == pytest.approx(1.0, abs=1e-12)


def test_unanimous_item_under_dawid_skene_in_a_varied_project() -> None:
    # Worker w2 disagrees on item 1, so nobody is perfectly reliable: the unanimous item 0 keeps
    # its label with a posterior below 1 (the model's, not a vote share).
    answers = [(0, w, "a") for w in ("w0", "w1", "w2")]
    answers += [(1, "w0", "b"), (1, "w1", "b"), (1, "w2", "c")]
    result = consensus("topic", answers)
    assert result[0].value == "a" and 0.9 < result[0].confidence < 1.0
    assert consensus("topic", answers, method="mv")[0].confidence == 1.0


# --- hand-checked cases ----------------------------------------------------------------------


def test_single_choice_vote_share() -> None:
    # a, a, b: majority a with share 2/3; votes and shares of the answered options in detail.
    result = consensus("topic", [(1, "A", "a"), (1, "B", "a"), (1, "C", "b")], method="mv")[1]
    assert (result.value, result.confidence, result.tied, result.method) == (
        "a",
        2 / 3,
        False,
        "mv",
    )
    assert result.detail == {"votes": {"a": 2, "b": 1}, "posterior": {"a": 2 / 3, "b": 1 / 3}}
    tie = consensus("topic", [(1, "A", "b"), (1, "B", "c")], method="mv")[1]
    assert (tie.value, tie.confidence, tie.tied) == ("b", 0.5, True)  # first answered wins


def _synthetic_project(seed: int) -> list[tuple[str, str, str]]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, 150)
    accuracy = rng.uniform(0.45, 0.95, 8)
    answers = []
    for i in range(150):
        for w in rng.choice(8, 4, replace=False):
            label = truth[i] if rng.random() < accuracy[w] else rng.integers(0, 3)
            answers.append((f"i{i}", f"w{w}", "abc"[label]))
    return answers


def _crowdkit_ds(answers: list[tuple[str, str, str]], **kw: Any) -> Any:
    frame = pd.DataFrame(answers, columns=["task", "worker", "label"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return crowdkit.DawidSkene(**kw).fit(frame)


def test_single_choice_dawid_skene_matches_crowdkit_exactly_with_the_same_iterations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Plain ML Dawid-Skene, 8 iterations on both sides (their stopping rule differs from ours):
    # the per-item posteriors agree to 1e-8, so the encoding of items, workers and the
    # answered classes is crowd-kit's.
    answers = _synthetic_project(5)
    monkeypatch.setattr(
        consensus_module, "make_aggregator", lambda m: DawidSkene(n_iter=8, tol=0.0)
    )
    ours = consensus("topic", answers)
    theirs = _crowdkit_ds(answers, n_iter=8, tol=-1.0)
    for item, row in theirs.probas_.iterrows():
        assert ours[item].value == theirs.labels_[item]
        assert ours[item].confidence == pytest.approx(row.max(), abs=1e-8)
        for label, p in ours[item].detail["posterior"].items():
            assert p == pytest.approx(row[label], abs=1e-8)


def test_single_choice_default_ds_agrees_with_crowdkit_at_convergence() -> None:
    answers = _synthetic_project(6)
    ours = consensus("topic", answers)  # "ds": ours is smoothed, theirs plain ML
    theirs = _crowdkit_ds(answers)
    agree = np.mean([ours[item].value == label for item, label in theirs.labels_.items()])
    assert agree >= 0.99


def test_rating_with_a_step_uses_the_aggregator_on_the_grid() -> None:
    result = consensus(
        "severity", [(1, "A", 4), (1, "B", 3), (2, "A", 2), (2, "B", 2)], method="mv"
    )
    assert (result[1].value, result[1].confidence, result[1].tied) == (4, 0.5, True)
    assert (result[2].value, result[2].confidence) == (2, 1.0)
    quarter = consensus("quarter", [(1, "A", 0.25), (1, "B", 0.25), (1, "C", 1)], method="mv")[1]
    assert (quarter.value, quarter.confidence) == (0.25, 2 / 3)


def test_rating_median() -> None:
    # No step: median of 4.5, 3, 4 is 4; tolerance 10% of 0..10 = 1: all three within.
    free = consensus("score", [(1, "A", 4.5), (1, "B", 3), (1, "C", 4)])[1]
    assert (free.value, free.confidence, free.method, free.tied) == (4.0, 1.0, "median", False)
    # 1 and 9: median 5, nobody within 1 of it, and the two middle answers differ.
    split = consensus("score", [(1, "A", 1), (1, "B", 9)])[1]
    assert (split.value, split.confidence, split.tied) == (5, 0.0, True)
    # With a step, method="median": 2, 3, 3, 5 -> lower middle 3 (on the grid); within half a
    # step means equal: 2 of 4.
    stepped = consensus(
        "severity", [(1, w, v) for w, v in zip("ABCD", [2, 3, 3, 5], strict=True)], method="median"
    )[1]
    assert (stepped.value, stepped.confidence, stepped.tied) == (3, 0.5, False)


def test_multi_choice_per_option() -> None:
    # x: 3/3 present, y: 1/3, z: 0/3 -> {x}; confidence min(1, 1 - 1/3, 1) = 2/3.
    rows = [(1, "A", ["x"]), (1, "B", ["x", "y"]), (1, "C", ["x"])]
    result = consensus("tags", rows, method="mv")[1]
    assert (result.value, result.confidence, result.tied) == (["x"], pytest.approx(2 / 3), False)
    assert result.detail["votes"] == {"x": 3, "y": 1, "z": 0}
    # y at exactly 1/2 is kept (>= 0.5) and flagged as a tie; confidence 1/2.
    half = consensus("tags", [(1, "A", ["x"]), (1, "B", ["x", "y"])], method="mv")[1]
    assert (half.value, half.confidence, half.tied) == (["x", "y"], 0.5, True)


def test_multi_choice_consensus_respects_min_and_max_selected() -> None:
    # Exactly one tag. x and y at 1/2: both pass 0.5, the first of highest posterior stays.
    two = consensus("one_tag", [(1, "A", ["x"]), (1, "B", ["y"])], method="mv")[1]
    assert (two.value, two.confidence) == (["x"], 0.5)
    # x, y, z at 1/3 each: none passes, the first of highest posterior is added;
    # confidence min(1/3, 2/3, 2/3).
    none = consensus("one_tag", [(1, "A", ["x"]), (1, "B", ["y"]), (1, "C", ["z"])], method="mv")[1]
    assert (none.value, none.confidence) == (["x"], pytest.approx(1 / 3))


def test_ranking_borda() -> None:
    # [0,1,2,3] twice and [3,2,1,0]: scores 3+3+0, 2+2+1, 1+1+2, 0+0+3 = 6, 5, 4, 3.
    # The reversed annotator agrees with no pair: confidence (1 + 1 + 0) / 3.
    rows = [(1, "A", [0, 1, 2, 3]), (1, "B", [0, 1, 2, 3]), (1, "C", [3, 2, 1, 0])]
    result = consensus("order", rows)[1]
    assert (result.value, result.confidence, result.tied) == (
        [0, 1, 2, 3],
        pytest.approx(2 / 3),
        False,
    )
    assert result.detail == {"borda": [6.0, 5.0, 4.0, 3.0]}
    # Two opposite annotators: all scores equal, order by index, each agrees on 3 of 6 pairs
    # (A exactly, B on none): (1 + 0) / 2.
    split = consensus("order", [(1, "A", [0, 1, 2, 3]), (1, "B", [3, 2, 1, 0])])[1]
    assert (split.value, split.confidence, split.tied) == ([0, 1, 2, 3], 0.5, True)


def test_ranking_with_ties() -> None:
    # A: {0, 1} > 2 scores 1.5, 1.5, 0; B: 0 > 1 > 2 scores 2, 1, 0. Totals 3.5, 2.5, 0.
    # Consensus 0 > 1 > 2: A agrees on 2 of 3 pairs (not the tie), B on all: 5/6.
    rows = [(1, "A", [[0, 1], [2]]), (1, "B", [[0], [1], [2]])]
    result = consensus("tied", rows)[1]
    assert (result.value, result.confidence, result.tied) == (
        [[0], [1], [2]],
        pytest.approx(5 / 6),
        False,
    )
    # Both tie 0 and 1: the consensus keeps the tie and it is not a disputed tie.
    agreed = consensus("tied", [(1, "A", [[0, 1], [2]]), (1, "B", [[0, 1], [2]])])[1]
    assert (agreed.value, agreed.confidence, agreed.tied) == ([[0, 1], [2]], 1.0, False)


def test_spans_clusters_by_majority() -> None:
    # PER by all three ([0,5), [1,5), [0,6)): median start 0, end 5; ORG [10,12) by A and C
    # (2 of 3, kept, 2/3); PER [20,22) by B alone (dropped, 1 - 1/3). Confidence 2/3.
    rows = [
        (1, "A", [span(0, 5), span(10, 12, "ORG")]),
        (1, "B", [span(1, 5), span(20, 22)]),
        (1, "C", [span(0, 6), span(10, 12, "ORG")]),
    ]
    result = consensus("entities", rows)[1]
    assert result.value == [span(0, 5), span(10, 12, "ORG")]
    assert result.confidence == pytest.approx(2 / 3)
    assert [r["count"] for r in result.detail["regions"]] == [3, 2]
    assert result.detail["regions"][1]["annotators"] == ["A", "C"]
    assert result.detail["dropped"] == [
        {"region": span(20, 22), "count": 1, "annotators": ["B"], "share": 1 / 3}
    ]
    assert not result.tied


def test_spans_median_rounds_half_up() -> None:
    # starts 0 and 1 -> 0.5 -> 1; ends 4 and 4 -> 4 (IoU 3/4, one cluster).
    result = consensus("entities", [(1, "A", [span(0, 4)]), (1, "B", [span(1, 4)])])[1]
    assert (result.value, result.confidence) == ([span(1, 4)], 1.0)


def test_boxes_median_and_one_region_per_annotator() -> None:
    # (0,0,10,10) and (2,0,10,10) match (IoU 2/3): median (1, 0, 10, 10); its IoU with each
    # member: 9 x 10 / (200 - 90) = 9/11.
    result = consensus("boxes", [(1, "A", [box(0, 0, 10, 10)]), (1, "B", [box(2, 0, 10, 10)])])[1]
    assert (result.value, result.confidence) == ([box(1, 0, 10, 10)], 1.0)
    assert result.detail["regions"][0]["min_iou"] == pytest.approx(9 / 11)
    # A drew the same box twice: one copy pairs with B's, the other is A's alone, half of the
    # annotators: dropped, a tie, confidence 1 - 1/2.
    twice = consensus("boxes", [(1, "A", [box(0, 0, 4, 4)] * 2), (1, "B", [box(0, 0, 4, 4)])])[1]
    assert (twice.value, twice.confidence, twice.tied) == ([box(0, 0, 4, 4)], 0.5, True)
    # Different labels never match.
    labels = consensus("boxes", [(1, "A", [box(0, 0, 4, 4)]), (1, "B", [box(0, 0, 4, 4, "bus")])])[
        1
    ]
    assert (labels.value, labels.confidence, labels.tied) == ([], 0.5, True)


def test_nothing_marked_is_an_empty_consensus_with_confidence_one() -> None:
    result = consensus("entities", [(1, "A", []), (1, "B", [])])[1]
    assert (result.value, result.confidence, result.tied) == ([], 1.0, False)


def test_text_is_never_voted() -> None:
    result = consensus(
        "note", [(1, "A", "Broken hinge"), (1, "B", "broken hinge"), (1, "C", "hinge")]
    )[1]
    assert (result.value, result.confidence, result.method) == (None, None, "none")
    assert result.detail == {"values": ["Broken hinge", "broken hinge", "hinge"]}


def test_item_confidence_is_the_weakest_required_field() -> None:
    def c(confidence: float | None) -> FieldConsensus:
        return FieldConsensus(value=1, confidence=confidence, method="mv", n_labels=2, tied=False)

    per_field = {"a": c(0.9), "b": c(0.6), "note": c(None), "optional": c(0.1)}
    assert item_confidence(per_field, {"a", "b", "note"}) == 0.6
    assert item_confidence(per_field, {"note"}) is None
    assert item_confidence({}, {"a"}) is None


def test_methods_and_inputs_are_checked() -> None:
    for name, method in (("topic", "median"), ("topic", "wmv"), ("order", "bogus")):
        with pytest.raises(ValidationFailed) as error:
            consensus(name, [(1, "A", "a")], method=method)
        assert error.value.code == "consensus_unknown_method"
    with pytest.raises(ValidationFailed) as error:
        consensus("topic", [(1, "A", "a"), (1, "A", "b")])
    assert error.value.code == "consensus_duplicate_answer"
    with pytest.raises(ValidationFailed) as error:
        consensus("topic", [(1, "A", "d")])
    assert error.value.code == "consensus_bad_value"
    assert consensus("topic", [(1, "A", None)]) == {}


# --- the seven-field item of issue 16 -----------------------------------------------------


ISSUE_SCHEMA = LabelSchema.parse(
    {
        "fields": [
            {"name": "topic", "kind": "single_choice", "options": ["billing", "bug", "other"]},
            {"name": "tags", "kind": "multi_choice", "options": ["urgent", "ui", "api"]},
            {"name": "severity", "kind": "rating", "min": 1, "max": 5, "step": 1},
            {"name": "priority", "kind": "ranking", "candidates": 3},
            {"name": "entities", "kind": "spans", "labels": ["PRODUCT", "PERSON"]},
            {"name": "screens", "kind": "bbox", "labels": ["dialog", "button"]},
            {"name": "summary", "kind": "text", "required": False},
        ]
    }
)


def test_issue_16_item_is_no_surer_than_its_weakest_required_field() -> None:
    # Two annotators on ten items. On items 1-9 they agree on everything; on item 0 they agree
    # on topic and tags but give severity 4 vs 3, opposite rankings, different spans and boxes.
    same = {
        "topic": "bug",
        "tags": ["urgent"],
        "severity": 2,
        "priority": [0, 1, 2],
        "entities": [span(0, 7, "PRODUCT")],
        "screens": [box(10, 10, 100, 50, "dialog")],
        "summary": "Crash on save",
    }
    item_0 = {
        "A": {
            **same,
            "severity": 4,
            "priority": [0, 1, 2],
            "entities": [span(0, 7, "PRODUCT")],
            "screens": [box(10, 10, 100, 50, "dialog")],
            "summary": "Crashes when saving",
        },
        "B": {
            **same,
            "severity": 3,
            "priority": [2, 1, 0],
            "entities": [span(12, 20, "PERSON")],
            "screens": [box(10, 10, 100, 50, "button")],
            "summary": "crash on save",
        },
    }
    labels = {(0, w): item_0[w] for w in "AB"} | {(i, w): same for i in range(1, 10) for w in "AB"}
    per_field = {}
    for f in ISSUE_SCHEMA.fields:
        answers = [(i, w, ISSUE_SCHEMA.validate(label)[f.name]) for (i, w), label in labels.items()]
        per_field[f.name] = field_consensus(f, answers)[0]
    assert per_field["topic"].value == "bug" and per_field["topic"].confidence > 0.9
    for name in ("severity", "priority", "entities", "screens"):
        assert per_field[name].confidence < 1.0, name
    assert per_field["severity"].confidence == pytest.approx(0.5, abs=0.05)
    assert per_field["priority"].confidence == 0.5  # one annotator agrees on 3 pairs, one on 0
    assert per_field["entities"].confidence == 0.5  # two regions, each marked by 1 of 2
    assert per_field["screens"].confidence == 0.5  # same box, different labels
    assert per_field["summary"].value is None  # text: reported, not voted
    required = {f.name for f in ISSUE_SCHEMA.fields if f.required}
    confidence = item_confidence(per_field, required)
    weakest = min(per_field[name].confidence for name in required)
    assert confidence is not None and confidence <= weakest < 0.997
