"""Field kinds whose value is a choice, a number, an order or a text.

- `single_choice`: one of `options`. Value: the option string.
- `multi_choice`: a subset of `options`, `min_selected` <= size <= `max_selected` (null = no
  upper bound). Value: a list of distinct options, normalised to the order of `options`.
- `rating`: a number in [`min`, `max`]; with `step`, it must lie on the grid min + k*step.
  Normalised to int when the grid is integral (integral min and step), else to float.
- `ranking`: `candidates` = n >= 2 items ordered best first (pairwise preference is n = 2).
  Value: a permutation of range(n), e.g. [2, 0, 1]. With `allow_ties`, the value is a list of
  tied groups best first, e.g. [[2], [0, 1]]; each group is normalised to ascending order, and
  a flat permutation is accepted as all-singleton groups.
- `text`: free text with `min_length` <= len <= `max_length` (null = no bound); returned as
  given; agreement and gold compare it with surrounding whitespace stripped.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from labelcrew.domain.schema.base import (
    MAX_CANDIDATES,
    Definition,
    Field,
    is_int,
    is_number,
    require_list,
    schema_error,
    value_error,
)

GRID_TOLERANCE = 1e-9


def _read_hotkeys(d: Definition, options: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Hotkeys as (option, key) pairs; given either as {option: key} or a list in option order."""
    raw = d.get("hotkeys")
    if raw is None:
        return ()
    path = d.at("hotkeys")
    if isinstance(raw, list | tuple):
        if len(raw) != len(options):
            raise schema_error(path, f"has {len(raw)} keys for {len(options)} options")
        pairs = list(zip(options, raw, strict=True))
    elif isinstance(raw, Mapping):
        pairs = list(raw.items())
    else:
        raise schema_error(path, "must be an object {option: key} or a list of keys")
    seen: dict[str, str] = {}
    for option, key in pairs:
        if option not in options:
            raise schema_error(f"{path}.{option}", f"{option!r} is not one of the options")
        if not isinstance(key, str) or not key or len(key) > 20:
            raise schema_error(f"{path}.{option}", f"key must be a short string, not {key!r}")
        if key in seen:
            raise schema_error(f"{path}.{option}", f"key {key!r} is already used by {seen[key]!r}")
        seen[key] = option
    by_option = {option: key for key, option in seen.items()}
    return tuple((option, by_option[option]) for option in options if option in by_option)


@dataclass(frozen=True, slots=True, kw_only=True)
class SingleChoice(Field):
    kind = "single_choice"

    options: tuple[str, ...]
    hotkeys: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_definition(cls, d: Definition) -> SingleChoice:
        options = d.names("options", minimum=2)
        return cls(**cls.common(d), options=options, hotkeys=_read_hotkeys(d, options))

    def settings(self) -> dict[str, Any]:
        body: dict[str, Any] = {"options": list(self.options)}
        if self.hotkeys:
            body["hotkeys"] = dict(self.hotkeys)
        return body

    def validate(self, value: Any, path: str, payload: Mapping[str, Any] | None) -> str:
        if not isinstance(value, str):
            raise value_error(path, f"must be one of {list(self.options)}, not {value!r}")
        if value not in self.options:
            raise value_error(path, f"{value!r} is not one of {list(self.options)}")
        return value

    def agreement_value(self, value: Any) -> Hashable:
        return cast(Hashable, value)


@dataclass(frozen=True, slots=True, kw_only=True)
class MultiChoice(Field):
    kind = "multi_choice"

    options: tuple[str, ...]
    min_selected: int = 0
    max_selected: int | None = None
    hotkeys: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_definition(cls, d: Definition) -> MultiChoice:
        options = d.names("options", minimum=1)
        low = d.integer("min_selected", 0, minimum=0) or 0
        high = d.integer("max_selected", None, minimum=1)
        if low > len(options):
            raise schema_error(
                d.at("min_selected"), f"{low} is more than the {len(options)} options"
            )
        if high is not None and high < low:
            raise schema_error(d.at("max_selected"), f"{high} is less than min_selected {low}")
        if high is not None and high > len(options):
            raise schema_error(
                d.at("max_selected"), f"{high} is more than the {len(options)} options"
            )
        return cls(
            **cls.common(d),
            options=options,
            min_selected=low,
            max_selected=high,
            hotkeys=_read_hotkeys(d, options),
        )

    def settings(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "options": list(self.options),
            "min_selected": self.min_selected,
            "max_selected": self.max_selected,
        }
        if self.hotkeys:
            body["hotkeys"] = dict(self.hotkeys)
        return body

    def validate(self, value: Any, path: str, payload: Mapping[str, Any] | None) -> list[str]:
        chosen = require_list(value, path)
        seen: set[str] = set()
        for i, option in enumerate(chosen):
            if not isinstance(option, str) or option not in self.options:
                raise value_error(f"{path}[{i}]", f"{option!r} is not one of {list(self.options)}")
            if option in seen:
                raise value_error(f"{path}[{i}]", f"{option!r} is selected twice")
            seen.add(option)
        if len(seen) < self.min_selected:
            raise value_error(path, f"select at least {self.min_selected}, got {len(seen)}")
        if self.max_selected is not None and len(seen) > self.max_selected:
            raise value_error(path, f"select at most {self.max_selected}, got {len(seen)}")
        return [option for option in self.options if option in seen]

    def agreement_value(self, value: Any) -> Hashable:
        return frozenset(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rating(Field):
    kind = "rating"

    min: float | int
    max: float | int
    step: float | int | None = None

    @classmethod
    def from_definition(cls, d: Definition) -> Rating:
        low, high = d.number("min", None), d.number("max", None)
        if low is None:
            raise schema_error(d.at("min"), "is required")
        if high is None:
            raise schema_error(d.at("max"), "is required")
        if high <= low:
            raise schema_error(d.at("max"), f"{high} must be greater than min {low}")
        step = d.number("step", None)
        if step is not None:
            if step <= 0:
                raise schema_error(d.at("step"), f"must be > 0, not {step}")
            count = (high - low) / step
            if abs(count - round(count)) > GRID_TOLERANCE * max(1.0, abs(count)):
                raise schema_error(d.at("step"), f"{step} does not divide max - min = {high - low}")
        return cls(**cls.common(d), min=low, max=high, step=step)

    @property
    def integral(self) -> bool:
        """True when every allowed value is an integer, so values are returned as int."""
        return (
            self.step is not None and float(self.min).is_integer() and float(self.step).is_integer()
        )

    def settings(self) -> dict[str, Any]:
        return {"min": self.min, "max": self.max, "step": self.step}

    def validate(self, value: Any, path: str, payload: Mapping[str, Any] | None) -> float | int:
        if not is_number(value):
            raise value_error(path, f"must be a number, not {value!r}")
        if value < self.min or value > self.max:
            raise value_error(path, f"{value} is outside [{self.min}, {self.max}]")
        if self.step is None:
            return cast("float | int", value)
        k = (value - self.min) / self.step
        if abs(k - round(k)) > GRID_TOLERANCE * max(1.0, abs(k)):
            raise value_error(
                path,
                f"{value} is not on the scale {self.min}, {self.min + self.step}, ... {self.max}",
            )
        snapped = self.min + round(k) * self.step
        # round() drops float noise: 0 + 3 * 0.1 is stored as 0.3, not 0.30000000000000004.
        return round(snapped) if self.integral else round(float(snapped), 9)

    def agreement_value(self, value: Any) -> Hashable:
        if self.integral:
            return round(float(value))
        # Round away float noise so 0.1 + 0.2 and 0.3 agree.
        return round(float(value), 9)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ranking(Field):
    kind = "ranking"

    candidates: int
    allow_ties: bool = False

    @classmethod
    def from_definition(cls, d: Definition) -> Ranking:
        n = d.integer("candidates", None, minimum=2, maximum=MAX_CANDIDATES)
        if n is None:
            raise schema_error(d.at("candidates"), "is required")
        return cls(**cls.common(d), candidates=n, allow_ties=d.flag("allow_ties", False))

    def settings(self) -> dict[str, Any]:
        return {"candidates": self.candidates, "allow_ties": self.allow_ties}

    def validate(self, value: Any, path: str, payload: Mapping[str, Any] | None) -> list[Any]:
        order = require_list(value, path)
        if self.allow_ties:
            groups = [entry if isinstance(entry, list | tuple) else [entry] for entry in order]
        else:
            groups = [[entry] for entry in order]
        seen: set[int] = set()
        for g, group in enumerate(groups):
            if not group:
                raise value_error(f"{path}[{g}]", "a tied group cannot be empty")
            nested = self.allow_ties and isinstance(order[g], list | tuple)
            for j, index in enumerate(group):
                where = f"{path}[{g}][{j}]" if nested else f"{path}[{g}]"
                if not is_int(index) or not 0 <= index < self.candidates:
                    raise value_error(
                        where, f"{index!r} is not a candidate index in 0..{self.candidates - 1}"
                    )
                if index in seen:
                    raise value_error(where, f"candidate {index} appears twice")
                seen.add(index)
        if len(seen) != self.candidates:
            missing = sorted(set(range(self.candidates)) - seen)
            raise value_error(
                path, f"must rank all {self.candidates} candidates; missing {missing}"
            )
        if self.allow_ties:
            return [sorted(group) for group in groups]
        return list(order)

    def agreement_value(self, value: Any) -> Hashable:
        if self.allow_ties:
            return tuple(
                tuple(sorted(entry)) if isinstance(entry, list | tuple) else (entry,)
                for entry in value
            )
        return tuple(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Text(Field):
    kind = "text"

    min_length: int = 0
    max_length: int | None = None

    @classmethod
    def from_definition(cls, d: Definition) -> Text:
        low = d.integer("min_length", 0, minimum=0) or 0
        high = d.integer("max_length", None, minimum=1)
        if high is not None and high < low:
            raise schema_error(d.at("max_length"), f"{high} is less than min_length {low}")
        return cls(**cls.common(d), min_length=low, max_length=high)

    def settings(self) -> dict[str, Any]:
        return {"min_length": self.min_length, "max_length": self.max_length}

    def validate(self, value: Any, path: str, payload: Mapping[str, Any] | None) -> str:
        if not isinstance(value, str):
            raise value_error(path, f"must be a string, not {value!r}")
        if len(value) < self.min_length:
            raise value_error(
                path, f"is {len(value)} characters; at least {self.min_length} needed"
            )
        if self.max_length is not None and len(value) > self.max_length:
            raise value_error(
                path, f"is {len(value)} characters; at most {self.max_length} allowed"
            )
        return value

    def agreement_value(self, value: Any) -> Hashable:
        return str(value).strip()
