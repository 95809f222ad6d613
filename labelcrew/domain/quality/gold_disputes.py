"""Disputed gold answers: when the expert answer of a gold item may itself be wrong.

A gold item whose expert answer is wrong or ambiguous punishes the members who answer it well
(their gold accuracy drops, drift alerts, probation). This module decides, for one gold item,
whether its gold answer is *disputed*, so the guideline owner sees it instead.

The rule. Only the fields the gold answer sets are compared (a partial gold answer disputes only
its own fields), each by the schema field's canonical form (`LabelSchema.agreement_value`: the
same form `gold_correct` and the agreement splits compare by).

- **By consensus**: the item has at least ``min_answers`` (5) scored answers, and at least
  ``share`` (0.8) of them are wrong answers that agree with each other (the same canonical value
  on every field the gold answer sets) from members whose gold accuracy on their OTHER gold items
  is at least ``min_accuracy`` (0.8). A member with no other gold answer has no accuracy and does
  not count; a careless member's wrong answer counts among the answers but never towards the
  dispute, so a crowd of careless members cannot overturn gold.
- **By review**: a reviewer reviewed an answer on the item that was scored wrong and gave verdict
  ``accept`` (they judged the annotator right), at least once.

The fields in dispute are the gold fields on which the crowd's (or the accepted) value is not
right under the field's gold rule; the crowd's value is the agreeing answers' value on them.
Consensus wins over review when both hold (the reviewers are reported either way).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from labelcrew.domain.schema.label_schema import LabelSchema

CONSENSUS, REVIEW = "consensus", "review"

Answer = tuple[str, Mapping[str, Any], bool]  # (member, value, gold_correct)
Accepted = tuple[str, Mapping[str, Any]]  # (reviewer, the value of the wrong answer they accepted)


@dataclass(frozen=True, slots=True)
class Dispute:
    """Why one gold item's answer looks wrong: the rule that fired, the fields, both values."""

    kind: str  # "consensus" | "review"
    fields: tuple[str, ...]
    gold: dict[str, Any]  # the gold answer on the disputed fields
    crowd: dict[str, Any]  # the crowd's (or the accepted) value on the disputed fields
    answers: int  # scored answers on the item
    wrong: int  # of which scored wrong
    agreeing: int  # wrong answers agreeing with the crowd's value (credible members only)
    accuracy: dict[str, float] = field(default_factory=dict)  # agreeing members' accuracy
    reviewers: tuple[str, ...] = ()  # who accepted a wrong answer

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "fields": list(self.fields),
            "gold": self.gold,
            "crowd": self.crowd,
            "counts": {"answers": self.answers, "wrong": self.wrong, "agreeing": self.agreeing},
            "accuracy": self.accuracy,
            "reviewers": list(self.reviewers),
        }


def accuracy_elsewhere(
    totals: Mapping[str, tuple[int, int]], answers: Sequence[Answer]
) -> dict[str, float]:
    """Each answering member's gold accuracy on their other gold items: ``totals`` is member ->
    (right, scored) over all their gold answers, this item's answers are taken out. A member
    with no other gold answer is left out (no accuracy)."""
    out = {}
    for member, _, correct in answers:
        right, scored = totals.get(member, (0, 0))
        right, scored = right - int(correct), scored - 1
        if scored > 0:
            out[member] = right / scored
    return out


def _gold_fields(gold_value: Mapping[str, Any], schema: LabelSchema) -> list[str]:
    """The schema fields the gold answer sets (a field dropped from the schema is skipped)."""
    known = {f.name for f in schema.fields}
    return [name for name in gold_value if name in known]


def _key(schema: LabelSchema, names: Sequence[str], value: Mapping[str, Any]) -> Hashable:
    return tuple(schema.agreement_value(name, value.get(name)) for name in names)


def _largest(
    schema: LabelSchema, names: Sequence[str], values: Sequence[tuple[str, Mapping[str, Any]]]
) -> list[tuple[str, Mapping[str, Any]]]:
    """The largest group of values agreeing on ``names`` (the first seen wins a tie)."""
    groups: dict[Hashable, list[tuple[str, Mapping[str, Any]]]] = {}
    for who, value in values:
        groups.setdefault(_key(schema, names, value), []).append((who, value))
    return max(groups.values(), key=len) if groups else []


def _disputed(
    schema: LabelSchema, names: Sequence[str], gold: Mapping[str, Any], crowd: Mapping[str, Any]
) -> tuple[tuple[str, ...], dict[str, Any], dict[str, Any]]:
    fields = tuple(n for n in names if not schema.is_correct(n, crowd.get(n), gold[n]))
    return fields, {n: gold[n] for n in fields}, {n: crowd.get(n) for n in fields}


def dispute_of(
    gold_value: Mapping[str, Any],
    answers: Sequence[Answer],
    member_accuracy: Mapping[str, float],
    schema: LabelSchema,
    *,
    min_answers: int = 5,
    share: float = 0.8,
    min_accuracy: float = 0.8,
    accepted: Sequence[Accepted] = (),
) -> Dispute | None:
    """The dispute of one gold item, or None (see the module docstring for the rule).

    ``answers`` are the item's scored answers, (member, value, correct); ``member_accuracy`` is
    each member's gold accuracy on their other gold items (:func:`accuracy_elsewhere`);
    ``accepted`` the wrong answers a reviewer accepted, (reviewer, value)."""
    names = _gold_fields(gold_value, schema)
    if not names:
        return None
    reviewers = tuple(dict.fromkeys(who for who, _ in accepted))
    wrong = [(member, value) for member, value, correct in answers if not correct]
    credible = [
        (member, value)
        for member, value in wrong
        if member_accuracy.get(member, 0.0) >= min_accuracy
    ]
    group = _largest(schema, names, credible)
    if len(answers) >= min_answers and group and len(group) >= share * len(answers):
        fields, gold, crowd = _disputed(schema, names, gold_value, group[0][1])
        if fields:
            return Dispute(
                kind=CONSENSUS,
                fields=fields,
                gold=gold,
                crowd=crowd,
                answers=len(answers),
                wrong=len(wrong),
                agreeing=len(group),
                accuracy={m: round(member_accuracy[m], 4) for m, _ in group},
                reviewers=reviewers,
            )
    chosen = _largest(schema, names, list(accepted))
    if not chosen:
        return None
    fields, gold, crowd = _disputed(schema, names, gold_value, chosen[0][1])
    if not fields:
        return None
    key = _key(schema, names, chosen[0][1])
    alike = [m for m, v in wrong if _key(schema, names, v) == key]
    return Dispute(
        kind=REVIEW,
        fields=fields,
        gold=gold,
        crowd=crowd,
        answers=len(answers),
        wrong=len(wrong),
        agreeing=len(alike),
        accuracy={m: round(member_accuracy[m], 4) for m in alike if m in member_accuracy},
        reviewers=reviewers,
    )
