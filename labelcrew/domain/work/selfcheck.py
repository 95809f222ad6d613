"""Self-check before submit: declarative per-project rules beyond the label schema, and the
checklist an annotator ticks.

A rule is a small dict (stored in project settings under `selfcheck`)::

    {"id": "neg-needs-note", "kind": "required_if", "field": "note",
     "if": {"field": "sentiment", "equals": "negative"}, "message": "..."}
    {"id": "one-span", "kind": "min_items", "field": "entities", "min": 1}
    {"id": "why", "kind": "min_words", "field": "rationale", "min": 5,
     "if": {"field": "preference", "in": ["A", "B"]}}

Every rule may carry an `if` condition (`equals`, `in` or `present`). `parse_rules` refuses a
malformed rule naming its index and key; `check` returns every violation with the rule id and
the field, so the annotator sees exactly what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labelcrew.errors import ValidationFailed

KINDS = ("required_if", "min_items", "max_items", "min_words")
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Violation:
    rule: str
    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "field": self.field, "message": self.message}


def _fail(index: int, key: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"selfcheck rule {index}: {message}", field=f"selfcheck[{index}].{key}", code="bad_rule"
    )


def parse_rules(raw: Any) -> list[dict[str, Any]]:
    """Check a rule list; returns it normalised (ids filled in)."""
    if not isinstance(raw, list):
        raise ValidationFailed("selfcheck must be a list of rules", field="selfcheck")
    out: list[dict[str, Any]] = []
    for i, rule in enumerate(raw):
        if not isinstance(rule, dict):
            raise _fail(i, "kind", "a rule is an object")
        kind = rule.get("kind")
        if kind not in KINDS:
            raise _fail(i, "kind", f"kind {kind!r} is not one of {', '.join(KINDS)}")
        field = rule.get("field")
        if not isinstance(field, str) or not field:
            raise _fail(i, "field", "needs the name of the field it checks")
        if kind != "required_if":
            n = rule.get("min" if kind != "max_items" else "max")
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                key = "min" if kind != "max_items" else "max"
                raise _fail(i, key, f"{kind} needs a whole number {key} >= 0")
        cond = rule.get("if")
        if cond is not None:
            if not isinstance(cond, dict) or not isinstance(cond.get("field"), str):
                raise _fail(i, "if", "a condition is {'field': ..., 'equals'|'in'|'present': ...}")
            if not any(k in cond for k in ("equals", "in", "present")):
                raise _fail(i, "if", "a condition needs 'equals', 'in' or 'present'")
            if "in" in cond and not isinstance(cond["in"], list):
                raise _fail(i, "if.in", "'in' takes a list of values")
        elif kind == "required_if":
            raise _fail(i, "if", "required_if needs an 'if' condition")
        clean = dict(rule)
        clean["id"] = str(rule.get("id") or f"rule-{i + 1}")
        out.append(clean)
    return out


def parse_checklist(raw: Any) -> list[dict[str, Any]]:
    """A checklist is a list of {"id", "text", "required" (default true)}."""
    if not isinstance(raw, list):
        raise ValidationFailed("checklist must be a list", field="checklist")
    out = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            raise ValidationFailed(
                "a checklist entry needs an id", field=f"checklist[{i}].id", code="bad_checklist"
            )
        if entry["id"] in seen:
            raise ValidationFailed(
                f"checklist id {entry['id']!r} appears twice",
                field=f"checklist[{i}].id",
                code="bad_checklist",
            )
        seen.add(entry["id"])
        out.append(
            {
                "id": entry["id"],
                "text": str(entry.get("text", "")),
                "required": bool(entry.get("required", True)),
            }
        )
    return out


def _applies(cond: Mapping[str, Any] | None, value: Mapping[str, Any]) -> bool:
    if cond is None:
        return True
    have = value.get(cond["field"])
    if "equals" in cond:
        return bool(have == cond["equals"])
    if "in" in cond:
        return have in cond["in"]
    return bool(_present(have)) == bool(cond["present"])


def _present(v: Any) -> bool:
    return v is not None and v != "" and v != [] and v != {}


def _count(v: Any) -> int:
    if isinstance(v, (list, dict)):
        return len(v)
    return 0 if v is None else 1


def _describe(rule: Mapping[str, Any], default: str) -> str:
    return str(rule.get("message") or default)


def _when(cond: Mapping[str, Any] | None) -> str:
    if not cond:
        return ""
    if "present" in cond:
        return f" when {cond['field']} is {'given' if cond['present'] else 'left empty'}"
    if "in" in cond:
        return f" when {cond['field']} is one of {', '.join(map(repr, cond['in']))}"
    return f" when {cond['field']} is {cond['equals']!r}"


def describe(rule: Mapping[str, Any]) -> str:
    """What a rule asks, shown beside its field before submit (a rule the annotator meets only
    as a refusal after submit reads as a moving target), in the words a violation uses."""
    if rule.get("message"):
        return str(rule["message"])
    field, kind, when = rule["field"], rule["kind"], _when(rule.get("if"))
    if kind == "required_if":
        return f"{field} is required{when}"
    if kind == "min_items":
        return f"{field} needs at least {rule['min']} item(s){when}"
    if kind == "max_items":
        return f"{field} allows at most {rule['max']} item(s){when}"
    return f"{field} needs at least {rule['min']} words{when}"


def check(rules: Sequence[Mapping[str, Any]], value: Mapping[str, Any]) -> list[Violation]:
    """Every rule the value breaks, in rule order."""
    out: list[Violation] = []
    for rule in rules:
        if not _applies(rule.get("if"), value):
            continue
        field, kind, have = rule["field"], rule["kind"], value.get(rule["field"])
        when = _when(rule.get("if"))
        if kind == "required_if" and not _present(have):
            out.append(Violation(rule["id"], field, _describe(rule, f"{field} is required{when}")))
        elif kind == "min_items" and _count(have) < rule["min"]:
            msg = f"{field} needs at least {rule['min']} item(s){when}"
            out.append(Violation(rule["id"], field, _describe(rule, msg)))
        elif kind == "max_items" and _count(have) > rule["max"]:
            msg = f"{field} allows at most {rule['max']} item(s){when}"
            out.append(Violation(rule["id"], field, _describe(rule, msg)))
        elif kind == "min_words":
            words = len(WORD.findall(have)) if isinstance(have, str) else 0
            if words < rule["min"]:
                msg = f"{field} needs at least {rule['min']} words{when} (has {words})"
                out.append(Violation(rule["id"], field, _describe(rule, msg)))
    return out


def unticked(checklist: Sequence[Mapping[str, Any]], ticked: Sequence[str] | None) -> list[str]:
    """Ids of required checklist entries the annotator did not tick."""
    done = set(ticked or ())
    return [e["id"] for e in checklist if e.get("required", True) and e["id"] not in done]
