"""The label schema: what one label is, and the check every submitted value goes through.

A definition is JSON `{"fields": [{"name": ..., "kind": ..., ...}, ...]}`. Every field has a
unique identifier-like `name`, a `kind`, optional `required` (default true) and optional
`description`; the kinds and their settings are documented in `schema_fields` (single_choice,
multi_choice, rating, ranking, text) and `schema_regions` (spans, bbox). Unknown keys are
rejected, so a typo cannot silently change a locked schema. Sizes are bounded (`schema_base`):
at most 200 fields, 1,000 options or labels of at most 200 characters per field, and 100
ranking candidates.

`LabelSchema.parse(definition)` checks a definition (`code="invalid_schema"`, `field` is the
path such as `fields[2].options`); `schema.validate(value, payload)` checks and normalises a
submitted label (`code="invalid_value"`, `field` such as `entities[1].end`). When several
fields are wrong, the error names the first and `details["errors"]` lists them all.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from labelcrew.domain.schema.base import (
    MAX_FIELDS,
    NAME_PATTERN,
    Definition,
    Field,
    schema_error,
    type_name,
    value_error,
)
from labelcrew.domain.schema.fields import MultiChoice, Ranking, Rating, SingleChoice, Text
from labelcrew.domain.schema.regions import BBox, Spans
from labelcrew.errors import ValidationFailed

__all__ = [
    "KINDS",
    "BBox",
    "Field",
    "LabelSchema",
    "MultiChoice",
    "Ranking",
    "Rating",
    "SingleChoice",
    "Spans",
    "Text",
]

KINDS: dict[str, type[Field]] = {
    kind.kind: kind for kind in (SingleChoice, MultiChoice, Rating, Ranking, Spans, Text, BBox)
}
CHOICE_KINDS = (SingleChoice, MultiChoice)


def _parse_field(raw: Any, path: str, taken: set[str]) -> Field:
    if not isinstance(raw, Mapping):
        raise schema_error(path, f"must be an object, not {type_name(raw)}")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise schema_error(
            f"{path}.name",
            f"{name!r} is not a valid name (a letter or _, then letters, digits or _; at most 64)",
        )
    if name in taken:
        raise schema_error(f"{path}.name", f"duplicate field name {name!r}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise schema_error(f"{path}.kind", f"{kind!r} is not one of {sorted(KINDS)}")
    definition = Definition(raw, path)
    parsed = KINDS[kind].from_definition(definition)
    definition.finish()
    return parsed


@dataclass(frozen=True, slots=True)
class LabelSchema:
    """An ordered, immutable set of fields; equality is equality of definitions."""

    fields: tuple[Field, ...]
    _by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})

    @classmethod
    def parse(cls, definition: Mapping[str, Any]) -> LabelSchema:
        if not isinstance(definition, Mapping):
            raise schema_error("", f"the schema must be an object, not {type_name(definition)}")
        for key in definition:
            if key != "fields":
                raise schema_error(str(key), f"unknown key {key!r}; a schema has only 'fields'")
        raw_fields = definition.get("fields")
        if not isinstance(raw_fields, list | tuple):
            raise schema_error(
                "fields", f"must be a list of field objects, not {type_name(raw_fields)}"
            )
        if not raw_fields:
            raise schema_error("fields", "a schema needs at least one field")
        if len(raw_fields) > MAX_FIELDS:
            raise schema_error(
                "fields", f"a schema has at most {MAX_FIELDS} fields, not {len(raw_fields):,}"
            )
        parsed: list[Field] = []
        taken: set[str] = set()
        for i, raw in enumerate(raw_fields):
            parsed_field = _parse_field(raw, f"fields[{i}]", taken)
            taken.add(parsed_field.name)
            parsed.append(parsed_field)
        return cls(tuple(parsed))

    def to_dict(self) -> dict[str, Any]:
        return {"fields": [f.to_dict() for f in self.fields]}

    def field(self, name: str) -> Field:
        try:
            return self._by_name[name]
        except KeyError:
            raise ValidationFailed(
                f"the schema has no field {name!r}; it has {', '.join(self._by_name)}",
                code="unknown_field",
                field=name,
            ) from None

    @property
    def primary_field(self) -> Field | None:
        """The first single_choice field: the one agreement, aggregation and gold use by default."""
        return next((f for f in self.fields if isinstance(f, SingleChoice)), None)

    def categories(self, field_name: str) -> list[str]:
        target = self.field(field_name)
        if not isinstance(target, CHOICE_KINDS):
            raise ValidationFailed(
                f"field {field_name!r} is a {target.kind} field, not a choice field",
                code="not_a_choice_field",
                field=field_name,
            )
        return list(target.options)

    def validate(
        self, value: Mapping[str, Any], payload: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The normalised label: every schema field as a key, absent optional fields as None."""
        if not isinstance(value, Mapping):
            raise value_error("", f"a label must be an object, not {type_name(value)}")
        problems: list[ValidationFailed] = []
        normalised: dict[str, Any] = {}
        for f in self.fields:
            given = value.get(f.name)
            if given is None:
                if f.required:
                    problems.append(value_error(f.name, "is required"))
                normalised[f.name] = None
                continue
            try:
                normalised[f.name] = f.validate(given, f.name, payload)
            except ValidationFailed as problem:
                problems.append(problem)
        problems.extend(
            value_error(
                str(key), f"unknown field {key!r}; the schema has {', '.join(self._by_name)}"
            )
            for key in value
            if key not in self._by_name
        )
        if problems:
            first = problems[0]
            details = {"errors": [{"field": p.field, "message": p.message} for p in problems]}
            raise ValidationFailed(
                first.message,
                code="invalid_value",
                field=first.field,
                details=details if len(problems) > 1 else None,
            )
        return normalised

    def agreement_value(self, field_name: str, value: Any) -> Hashable:
        """A hashable canonical form of one field's (validated) value; None stays None."""
        if value is None:
            return None
        return self.field(field_name).agreement_value(value)

    def is_correct(self, field_name: str, value: Any, expected: Any) -> bool:
        """Whether `value` matches the gold answer `expected` under the field's rule."""
        return self.field(field_name).is_correct(value, expected)
