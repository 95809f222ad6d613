"""One import row checked and turned into an `ItemRow` (or a `RowError`), whatever its format.

The parsers in `item_rows` turn each JSONL line, CSV record or Label Studio task into a dict
and hand it to `row_from_object`, which runs once per imported row: each key has an inline
test for its common, valid form and leaves conversions and messages to a helper.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass
from typing import Any, NamedTuple

from labelcrew.domain.text_rules import canonical_id

RECOGNISED = frozenset(
    {
        "id",
        "external_id",
        "data",
        "payload",
        "priority",
        "skills",
        "required_skills",
        "batch",
        "difficulty",
        "gold",
    }
)
# Keys of a Label Studio task export that carry no item data: tolerated, and ignored. Any
# other key beside `data` is refused, so a misspelt key (`priorty`) is never lost silently.
LABEL_STUDIO_KEYS = frozenset(
    {
        "annotations",
        "predictions",
        "drafts",
        "meta",
        "created_at",
        "updated_at",
        "updated_by",
        "inner_id",
        "project",
        "file_upload",
        "is_labeled",
        "overlap",
        "allow_skip",
        "annotators",
        "comment_authors",
        "comment_count",
        "unresolved_comment_count",
        "last_comment_updated_at",
        "total_annotations",
        "cancelled_annotations",
        "total_predictions",
    }
)
WITH_LABEL_STUDIO = RECOGNISED | LABEL_STUDIO_KEYS
DIFFICULTIES = ("easy", "normal", "hard")
MAX_ID_LENGTH = 255
PRIORITY_RANGE = (-(2**31), 2**31 - 1)
_LOWEST, _HIGHEST = PRIORITY_RANGE
_MISSING = object()


class ItemRow(NamedTuple):
    """One importable item; `line` is the file line (the task number for Label Studio).

    A named tuple rather than a dataclass: one is built per imported row, and a tuple is built
    about three times faster than a frozen dataclass; it is just as immutable.
    """

    line: int
    external_id: str
    payload: dict[str, Any]
    priority: int = 0
    required_skills: tuple[str, ...] = ()
    batch: str | None = None
    difficulty: str | None = None
    gold: dict[str, Any] | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected row: where it is, which field (None for the row as a whole), and why."""

    line: int
    field: str | None
    message: str


class RowProblem(Exception):
    """Raised inside row checks; becomes a RowError naming the field."""

    def __init__(self, field: str | None, message: str) -> None:
        self.field = field
        self.message = message


def json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _external_id(raw: Any, field: str) -> str:
    if type(raw) is str:
        try:
            value = canonical_id(raw)
        except ValueError as exc:
            raise RowProblem(field, str(exc)) from None
    elif type(raw) is int:
        value = str(raw)
    elif raw is None:
        raise RowProblem("id", "the row has no id (give an id or external_id)")
    else:
        raise RowProblem(field, f"id must be a string or an integer, not {json_type(raw)}")
    if not value:
        raise RowProblem(field, "id is empty")
    if len(value) > MAX_ID_LENGTH:
        raise RowProblem(field, f"id is {len(value)} characters long; at most {MAX_ID_LENGTH}")
    return value


def _priority(raw: Any) -> int:
    if raw is None:
        return 0
    if type(raw) is int:
        value = raw
    elif type(raw) is str and raw.strip().lstrip("+-").isdigit():
        value = int(raw)
    else:
        raise RowProblem("priority", f"priority must be an integer, not {raw!r}")
    if not PRIORITY_RANGE[0] <= value <= PRIORITY_RANGE[1]:
        raise RowProblem(
            "priority", f"priority {value} is outside {PRIORITY_RANGE[0]}..{PRIORITY_RANGE[1]}"
        )
    return value


def _skills(raw: Any, field: str) -> tuple[str, ...]:
    if type(raw) is str:
        parts = raw.replace(";", ",").split(",")
    elif type(raw) is list and all(type(part) is str for part in raw):
        parts = raw
    else:
        raise RowProblem(
            field, f"{field} must be a list of strings or a comma-separated string, not {raw!r}"
        )
    # dict.fromkeys keeps the first occurrence's order while dropping repeats.
    return tuple(dict.fromkeys(part.strip() for part in parts if part.strip()))


def _optional_name(raw: Any, field: str) -> str | None:
    if raw is None:
        return None
    if type(raw) is int:
        return str(raw)
    if type(raw) is not str:
        raise RowProblem(field, f"{field} must be a string, not {json_type(raw)}")
    return raw.strip() or None


def _difficulty(raw: Any) -> str | None:
    if raw is None:
        return None
    value = raw.strip().lower() if type(raw) is str else raw
    if value not in DIFFICULTIES:
        raise RowProblem(
            "difficulty", f"difficulty {raw!r} is not one of {', '.join(DIFFICULTIES)}"
        )
    return value


_NEW = tuple.__new__


def _payload(obj: dict[str, Any], data: Any, data_required: bool) -> dict[str, Any]:
    """The payload of a row whose `data` is missing (`_MISSING`) or not an object."""
    if data is not _MISSING:
        raise RowProblem("data", f"data must be an object, not {json_type(data)}")
    if "payload" in obj:
        payload = obj["payload"]
        if type(payload) is not dict:
            raise RowProblem("payload", f"payload must be an object, not {json_type(payload)}")
        return payload
    if data_required:
        raise RowProblem("data", "the task has no data object")
    return {key: value for key, value in obj.items() if key not in RECOGNISED}


def _unknown_key(obj: dict[str, Any], allowed: frozenset[str]) -> None:
    """Refuse the first key beside `data`/`payload` that nothing reads (it would be lost)."""
    if "data" in obj and "payload" in obj:
        raise RowProblem("payload", "give data or payload, not both")
    for key in obj:
        if key not in allowed:
            known = ", ".join(sorted(RECOGNISED))
            raise RowProblem(key, f"unknown key {key!r} beside the data object (known: {known})")


def row_from_object(
    obj: Any,
    line: int,
    seen: dict[str, int],
    data_required: bool,
    allowed: frozenset[str] = RECOGNISED,
) -> ItemRow | RowError:
    """One JSON row (a JSONL line or a Label Studio task) checked and turned into an ItemRow.

    This runs once per imported row, so each key has an inline test for its common, valid
    form and leaves everything else (conversions, error messages) to a helper. A row with a
    data (or payload) object may hold only `allowed` keys beside it.
    """
    if type(obj) is not dict:
        return RowError(line, None, f"the row must be a JSON object, not {json_type(obj)}")
    get = obj.get
    try:
        id_key = "id"
        raw_id = get("id")
        if raw_id is None:
            id_key = "external_id"
            raw_id = get("external_id")
        if type(raw_id) is str:
            # ASCII ids (the common case) are canonical once stripped.
            external_id = raw_id.strip() if raw_id.isascii() else ""
        elif type(raw_id) is int:
            external_id = str(raw_id)
        else:
            external_id = ""
        if not 0 < len(external_id) <= MAX_ID_LENGTH:
            external_id = _external_id(raw_id, id_key)  # raises the precise problem
        payload = get("data", _MISSING)
        if type(payload) is dict:
            explicit = True
        else:
            payload = _payload(obj, payload, data_required)
            explicit = "payload" in obj
        if explicit and len(obj) > 2:
            # Beyond id and data: only then can a key be unknown (one len test for most rows).
            _unknown_key(obj, allowed)
        priority = get("priority", 0)
        if type(priority) is not int or not _LOWEST <= priority <= _HIGHEST:
            priority = _priority(priority)
        skills = get("skills", _MISSING)
        if skills is _MISSING:
            skills_key, skills = "required_skills", get("required_skills")
        else:
            skills_key = "skills"
        skills = () if skills is None or skills == [] else _skills(skills, skills_key)
        batch = get("batch")
        if type(batch) is str:
            batch = batch.strip() or None
        elif batch is not None:
            batch = _optional_name(batch, "batch")
        difficulty = get("difficulty")
        if difficulty is not None:
            difficulty = _difficulty(difficulty)
        gold = get("gold")
        if gold is not None and type(gold) is not dict:
            raise RowProblem(
                "gold", f"gold must be an object (the known answer), not {json_type(gold)}"
            )
        if not payload and not explicit:
            # Checked last, so that a bad known key is named first.
            raise RowProblem(
                "data", "the row has no data: give data (an object), payload, or keys of its own"
            )
    except RowProblem as problem:
        return RowError(line, problem.field, problem.message)
    # One probe of a dict that grows to every id in the file: it takes the id unless taken.
    first = seen.setdefault(external_id, line)
    if first != line:
        return RowError(line, id_key, f"duplicate id {external_id!r} (first on line {first})")
    return _NEW(ItemRow, (line, external_id, payload, priority, skills, batch, difficulty, gold))
