"""Building blocks shared by every label schema field kind.

A field kind is a frozen dataclass deriving from `Field`. It knows how to read its own
definition (`from_definition`), write it back (`to_dict`), check and normalise a submitted
value (`validate`), and reduce a value to a hashable form for agreement (`agreement_value`).
Errors always name a path: `fields[2].options` for a definition, `entities[1].end` for a value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from labelcrew.errors import ValidationFailed

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
COMMON_KEYS = frozenset({"name", "kind", "required", "description"})
# Size limits of a definition. Every label is checked against the schema and every page lists
# its options, so a schema of 100,000 options or 10^9 ranking candidates would make each
# submit, page and agreement run pay for it; these are far above any schema a team labels.
MAX_FIELDS = 200
MAX_OPTIONS = 1000  # options of a choice field, labels of a spans or bbox field
MAX_OPTION_LENGTH = 200
MAX_CANDIDATES = 100
MAX_TEXT_SETTING = 2000  # a description, a source key


def _located(path: str, message: str) -> str:
    # The message names the path too, so it reads on its own in a log line or a toast.
    return f"{path}: {message}" if path else message


def schema_error(path: str, message: str) -> ValidationFailed:
    return ValidationFailed(_located(path, message), code="invalid_schema", field=path or None)


def value_error(path: str, message: str) -> ValidationFailed:
    return ValidationFailed(_located(path, message), code="invalid_value", field=path or None)


def type_name(value: Any) -> str:
    """The JSON name of a Python value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def is_int(value: Any) -> bool:
    # bool is an int subclass in Python; JSON true is never a count or an offset.
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return (is_int(value) or isinstance(value, float)) and math.isfinite(value)


class Definition:
    """Reads one field definition, each getter naming `fields[i].key` in its errors.

    `finish()` rejects keys nobody read, so a typo (`"option"`) fails loudly instead of
    silently producing a field with defaults.
    """

    def __init__(self, raw: Mapping[str, Any], path: str) -> None:
        self.raw = raw
        self.path = path
        self._read: set[str] = set(COMMON_KEYS)

    def at(self, key: str) -> str:
        return f"{self.path}.{key}"

    def get(self, key: str, default: Any = None) -> Any:
        self._read.add(key)
        return self.raw.get(key, default)

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise schema_error(self.at(key), f"must be true or false, not {type_name(value)}")
        return value

    def integer(
        self,
        key: str,
        default: int | None,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self.get(key, default)
        if value is None:
            return default
        if not is_int(value):
            raise schema_error(self.at(key), f"must be an integer, not {value!r}")
        if minimum is not None and value < minimum:
            raise schema_error(self.at(key), f"must be >= {minimum}, not {value}")
        if maximum is not None and value > maximum:
            raise schema_error(self.at(key), f"must be <= {maximum}, not {value}")
        return int(value)

    def number(self, key: str, default: float | None) -> float | int | None:
        value = self.get(key, default)
        if value is None:
            return default
        if not is_number(value):
            raise schema_error(self.at(key), f"must be a finite number, not {value!r}")
        return cast("float | int", value)

    def text(self, key: str, default: str | None) -> str | None:
        value = self.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            raise schema_error(self.at(key), f"must be a non-empty string, not {value!r}")
        if len(value) > MAX_TEXT_SETTING:
            raise schema_error(
                self.at(key), f"is {len(value)} characters long; at most {MAX_TEXT_SETTING}"
            )
        return value

    def names(self, key: str, *, minimum: int) -> tuple[str, ...]:
        """A list of unique non-empty strings (options, labels)."""
        value = self.get(key)
        if value is None:
            raise schema_error(self.at(key), "is required")
        if not isinstance(value, list | tuple):
            raise schema_error(self.at(key), f"must be a list of strings, not {type_name(value)}")
        if len(value) > MAX_OPTIONS:
            raise schema_error(self.at(key), f"has {len(value):,} entries; at most {MAX_OPTIONS:,}")
        seen: set[str] = set()
        for i, entry in enumerate(value):
            if not isinstance(entry, str) or not entry.strip():
                raise schema_error(
                    f"{self.at(key)}[{i}]", f"must be a non-empty string, not {entry!r}"
                )
            if len(entry) > MAX_OPTION_LENGTH:
                raise schema_error(
                    f"{self.at(key)}[{i}]",
                    f"is {len(entry)} characters long; at most {MAX_OPTION_LENGTH}",
                )
            if entry in seen:
                raise schema_error(f"{self.at(key)}[{i}]", f"duplicate {entry!r}")
            seen.add(entry)
        if len(value) < minimum:
            raise schema_error(self.at(key), f"needs at least {minimum} entries, has {len(value)}")
        return tuple(value)

    def finish(self) -> None:
        unknown = sorted(set(self.raw) - self._read)
        if unknown:
            raise schema_error(self.at(unknown[0]), f"unknown key {unknown[0]!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Field:
    """One named part of a label. Subclasses set `kind` and add their own settings."""

    kind: ClassVar[str] = ""

    name: str
    required: bool = True
    description: str | None = None

    @classmethod
    def from_definition(cls, d: Definition) -> Field:
        raise NotImplementedError

    @classmethod
    def common(cls, d: Definition) -> dict[str, Any]:
        return {
            "name": d.raw["name"],
            "required": d.flag("required", True),
            "description": d.text("description", None),
        }

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, "kind": self.kind, "required": self.required}
        if self.description is not None:
            body["description"] = self.description
        body.update(self.settings())
        return body

    def settings(self) -> dict[str, Any]:
        """The kind-specific keys of the canonical definition."""
        return {}

    def validate(self, value: Any, path: str, payload: Mapping[str, Any] | None) -> Any:
        """The normalised value, or `ValidationFailed(code="invalid_value")` naming `path`."""
        raise NotImplementedError

    def agreement_value(self, value: Any) -> Hashable:
        """A hashable canonical form: equal labels give equal forms."""
        raise NotImplementedError

    def is_correct(self, value: Any, expected: Any) -> bool:
        """Gold check: by default an exact match of the canonical forms."""
        if value is None or expected is None:
            return value is None and expected is None
        return self.agreement_value(value) == self.agreement_value(expected)


def require_list(value: Any, path: str) -> list[Any] | tuple[Any, ...]:
    if not isinstance(value, list | tuple):
        raise value_error(path, f"must be a list, not {type_name(value)}")
    return value


def require_object(value: Any, path: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    """An object with exactly `keys`: a missing or extra key names itself in the error."""
    if not isinstance(value, Mapping):
        raise value_error(path, f"must be an object, not {type_name(value)}")
    for key in keys:
        if key not in value:
            raise value_error(f"{path}.{key}", "is required")
    for key in value:
        if key not in keys:
            raise value_error(f"{path}.{key}", f"unknown key {key!r}; expected {', '.join(keys)}")
    return value
