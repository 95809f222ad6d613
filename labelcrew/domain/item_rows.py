"""Streaming parsers for item import files: JSONL, CSV and Label Studio task JSON.

Each parser reads its input incrementally and yields one `ItemRow` or one `RowError` per
row, so memory stays bounded by the longest row, whatever the file size. The one exception
is duplicate detection: the ids seen so far are kept (O(unique ids) memory, about 100 bytes
per id), because a duplicate may sit anywhere in the file.

`line` is the file's line number for JSONL and CSV (the CSV header is line 1; a quoted cell
spanning lines reports the row's first line) and the 1-based task number for Label Studio.
A row that fails is reported and skipped; its id is not taken, so a later row may use it.

Recognised row keys (JSONL keys, CSV columns, Label Studio task keys):
- `id` or `external_id`: required; a string (stripped) or an integer, at most 255 characters.
- `data` or `payload`: the item's JSON object. Without it (JSONL only), every key that is not
  recognised here goes into the payload; in CSV every other column does, as strings. Label
  Studio tasks must have `data`; their other keys (annotations, predictions, meta) are ignored.
- `priority`: an integer, or a string holding one, within the 32-bit range; default 0.
- `skills` or `required_skills`: a list of strings, or a string split on `,` and `;`.
- `batch`: a batch name; `difficulty`: one of easy, normal, hard.
- `gold`: the known answer, an object (in CSV a cell holding a JSON object).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from typing import Any, BinaryIO, Literal

import ijson
import orjson

from labelcrew.errors import ValidationFailed

Format = Literal["jsonl", "csv", "labelstudio"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "labelstudio")
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
DIFFICULTIES = ("easy", "normal", "hard")
MAX_ID_LENGTH = 255
PRIORITY_RANGE = (-(2**31), 2**31 - 1)
BOM = b"\xef\xbb\xbf"
HEAD_BYTES = 65536
_LOWEST, _HIGHEST = PRIORITY_RANGE
_MISSING = object()


@dataclass(frozen=True, slots=True)
class ItemRow:
    line: int
    external_id: str
    payload: dict[str, Any]
    priority: int = 0
    required_skills: tuple[str, ...] = ()
    batch: str | None = None
    difficulty: str | None = None
    gold: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str | None
    message: str


class _Problem(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        self.field = field
        self.message = message


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _external_id(raw: Any, field: str) -> str:
    if type(raw) is str:
        value = raw.strip()
    elif type(raw) is int:
        value = str(raw)
    elif raw is None:
        raise _Problem("id", "the row has no id (give an id or external_id)")
    else:
        raise _Problem(field, f"id must be a string or an integer, not {_json_type(raw)}")
    if not value:
        raise _Problem(field, "id is empty")
    if len(value) > MAX_ID_LENGTH:
        raise _Problem(field, f"id is {len(value)} characters long; at most {MAX_ID_LENGTH}")
    return value


def _priority(raw: Any) -> int:
    if raw is None:
        return 0
    if type(raw) is int:
        value = raw
    elif type(raw) is str and raw.strip().lstrip("+-").isdigit():
        value = int(raw)
    else:
        raise _Problem("priority", f"priority must be an integer, not {raw!r}")
    if not PRIORITY_RANGE[0] <= value <= PRIORITY_RANGE[1]:
        raise _Problem(
            "priority", f"priority {value} is outside {PRIORITY_RANGE[0]}..{PRIORITY_RANGE[1]}"
        )
    return value


def _skills(raw: Any, field: str) -> tuple[str, ...]:
    if type(raw) is str:
        parts = raw.replace(";", ",").split(",")
    elif type(raw) is list and all(type(part) is str for part in raw):
        parts = raw
    else:
        raise _Problem(
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
        raise _Problem(field, f"{field} must be a string, not {_json_type(raw)}")
    return raw.strip() or None


def _difficulty(raw: Any) -> str | None:
    if raw is None:
        return None
    value = raw.strip().lower() if type(raw) is str else raw
    if value not in DIFFICULTIES:
        raise _Problem("difficulty", f"difficulty {raw!r} is not one of {', '.join(DIFFICULTIES)}")
    return value


_NEW = object.__new__
(
    _SET_LINE,
    _SET_ID,
    _SET_PAYLOAD,
    _SET_PRIORITY,
    _SET_SKILLS,
    _SET_BATCH,
    _SET_DIFFICULTY,
    _SET_GOLD,
) = (ItemRow.__dict__[f.name].__set__ for f in fields(ItemRow))


def _item_row(
    line: int,
    external_id: str,
    payload: dict[str, Any],
    priority: int,
    skills: tuple[str, ...],
    batch: str | None,
    difficulty: str | None,
    gold: dict[str, Any] | None,
) -> ItemRow:
    """The same frozen ItemRow that `ItemRow(...)` builds, about twice as fast.

    A frozen dataclass's __init__ goes through object.__setattr__ once per field, which is the
    largest single cost per row; writing the slots through their descriptors skips the lookups.
    """
    row = _NEW(ItemRow)
    _SET_LINE(row, line)
    _SET_ID(row, external_id)
    _SET_PAYLOAD(row, payload)
    _SET_PRIORITY(row, priority)
    _SET_SKILLS(row, skills)
    _SET_BATCH(row, batch)
    _SET_DIFFICULTY(row, difficulty)
    _SET_GOLD(row, gold)
    return row


def _payload_without_data(obj: dict[str, Any], data_required: bool) -> dict[str, Any]:
    if "payload" in obj:
        payload = obj["payload"]
        if type(payload) is not dict:
            raise _Problem("payload", f"payload must be an object, not {_json_type(payload)}")
        return payload
    if data_required:
        raise _Problem("data", "the task has no data object")
    return {key: value for key, value in obj.items() if key not in RECOGNISED}


def _row_from_object(
    obj: Any, line: int, seen: dict[str, int], data_required: bool
) -> ItemRow | RowError:
    """One JSON row (a JSONL line or a Label Studio task) checked and turned into an ItemRow.

    This runs once per imported row, so each key has an inline test for its common, valid
    form and leaves everything else (conversions, error messages) to a helper.
    """
    if type(obj) is not dict:
        return RowError(line, None, f"the row must be a JSON object, not {_json_type(obj)}")
    try:
        id_key = "id"
        raw_id = obj.get("id")
        if raw_id is None:
            id_key = "external_id"
            raw_id = obj.get("external_id")
        if type(raw_id) is str:
            external_id = raw_id.strip()
        elif type(raw_id) is int:
            external_id = str(raw_id)
        else:
            external_id = ""
        if not external_id or len(external_id) > MAX_ID_LENGTH:
            external_id = _external_id(raw_id, id_key)  # raises the precise problem
        payload = obj.get("data", _MISSING)
        if payload is _MISSING:
            payload = _payload_without_data(obj, data_required)
        elif type(payload) is not dict:
            raise _Problem("data", f"data must be an object, not {_json_type(payload)}")
        priority = obj.get("priority", 0)
        if type(priority) is not int or not _LOWEST <= priority <= _HIGHEST:
            priority = _priority(priority)
        skills_key = "skills" if "skills" in obj else "required_skills"
        skills = obj.get(skills_key)
        skills = () if skills is None or skills == [] else _skills(skills, skills_key)
        batch = obj.get("batch")
        if batch is not None:
            batch = _optional_name(batch, "batch")
        difficulty = obj.get("difficulty")
        if difficulty is not None:
            difficulty = _difficulty(difficulty)
        gold = obj.get("gold")
        if gold is not None and type(gold) is not dict:
            raise _Problem(
                "gold", f"gold must be an object (the known answer), not {_json_type(gold)}"
            )
    except _Problem as problem:
        return RowError(line, problem.field, problem.message)
    first = seen.get(external_id)
    if first is not None:
        return RowError(line, id_key, f"duplicate id {external_id!r} (first on line {first})")
    seen[external_id] = line
    return _item_row(line, external_id, payload, priority, skills, batch, difficulty, gold)


def parse_jsonl_lines(lines: Iterable[bytes | str]) -> Iterator[ItemRow | RowError]:
    """JSONL rows from an iterable of lines (bytes or str); blank lines are skipped."""
    seen: dict[str, int] = {}
    loads = orjson.loads
    for line, raw in enumerate(lines, 1):
        if line == 1:
            raw = raw.removeprefix(BOM) if isinstance(raw, bytes) else raw.removeprefix("\ufeff")
        try:
            obj = loads(raw)
        except orjson.JSONDecodeError as exc:
            # Checking for blank lines only after a failed parse keeps the common path lean.
            if not raw.strip():
                continue
            yield RowError(line, None, f"invalid JSON: {exc}")
            continue
        yield _row_from_object(obj, line, seen, data_required=False)


class _NotUtf8(Exception):
    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason


def _decoded(lines: Iterable[bytes | str]) -> Iterator[str]:
    for line, raw in enumerate(lines, 1):
        if isinstance(raw, str):
            yield raw.removeprefix("\ufeff") if line == 1 else raw
            continue
        try:
            yield raw.decode("utf-8-sig" if line == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise _NotUtf8(line, str(exc)) from None


def _csv_columns(header: list[str]) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Split header cells into recognised roles and payload columns."""
    roles: dict[str, int] = {}
    payload_columns: list[tuple[int, str]] = []
    seen: set[str] = set()
    for index, cell in enumerate(header):
        name = cell.strip()
        if not name:
            raise _Problem(None, f"column {index + 1} has an empty name")
        if name in seen:
            raise _Problem(name, f"column {name!r} appears twice")
        seen.add(name)
        key = name.lower()
        if key in RECOGNISED - {"data", "payload"} and key not in roles:
            roles[key] = index
        else:
            payload_columns.append((index, name))
    for preferred, alias in (("id", "external_id"), ("skills", "required_skills")):
        if preferred not in roles and alias in roles:
            roles[preferred] = roles.pop(alias)
        elif alias in roles:
            index = roles.pop(alias)
            payload_columns.append((index, header[index].strip()))
    if "id" not in roles:
        raise _Problem("id", "the header has no id or external_id column")
    return roles, sorted(payload_columns)


def parse_csv_lines(lines: Iterable[bytes | str]) -> Iterator[ItemRow | RowError]:
    """CSV rows from an iterable of lines that keep their line endings (as a file yields them)."""
    reader = csv.reader(_decoded(lines))
    seen: dict[str, int] = {}
    try:
        header = next(reader, None)
        if header is None:
            yield RowError(1, None, "the file is empty; a CSV import needs a header row")
            return
        try:
            roles, payload_columns = _csv_columns(header)
        except _Problem as problem:
            yield RowError(1, problem.field, problem.message)
            return
        width = len(header)
        id_at = roles["id"]
        optional = [
            (name, roles.get(name))
            for name in ("priority", "skills", "batch", "difficulty", "gold")
        ]
        previous_end = reader.line_num
        for cells in reader:
            line, previous_end = previous_end + 1, reader.line_num
            if not any(cells):
                continue
            if len(cells) != width:
                yield RowError(
                    line, None, f"the row has {len(cells)} cells; the header has {width}"
                )
                continue
            obj: dict[str, Any] = {
                "id": cells[id_at],
                "data": {name: cells[i] for i, name in payload_columns},
            }
            for name, index in optional:
                if index is not None and cells[index].strip():
                    obj[name] = cells[index]
            if "gold" in obj:
                try:
                    obj["gold"] = orjson.loads(obj["gold"])
                except orjson.JSONDecodeError as exc:
                    yield RowError(line, "gold", f"gold must hold a JSON object: {exc}")
                    continue
            yield _row_from_object(obj, line, seen, data_required=True)
    except _NotUtf8 as bad:
        yield RowError(bad.line, None, f"the file is not UTF-8 text: {bad.reason}")
    except csv.Error as exc:
        yield RowError(reader.line_num, None, f"malformed CSV: {exc}")


class _Replay:
    """A read()-able stream that first returns bytes already read for sniffing, then the rest."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._rest.read(size)
        if size < 0:
            chunk, self._head = self._head, b""
            return chunk + self._rest.read()
        chunk, self._head = self._head[:size], self._head[size:]
        return chunk


def parse_labelstudio(fp: BinaryIO) -> Iterator[ItemRow | RowError]:
    """Label Studio tasks from a JSON array (or one task object); `line` is the task number."""
    head = fp.read(HEAD_BYTES).removeprefix(BOM)
    start = head.lstrip()[:1]
    if start not in (b"[", b"{"):
        yield RowError(
            1, None, "a Label Studio file must hold a JSON array of tasks or one task object"
        )
        return
    tasks = ijson.items(_Replay(head, fp), "item" if start == b"[" else "", use_float=True)
    seen: dict[str, int] = {}
    number = 0
    try:
        for number, task in enumerate(tasks, 1):
            yield _row_from_object(task, number, seen, data_required=True)
    except ijson.JSONError as exc:
        # yajl appends a multi-line caret diagram; the first line holds the reason.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        yield RowError(number + 1, None, f"invalid JSON after task {number}: {reason}")


def _first_line_is_object(first_bytes: bytes) -> bool:
    first_line, newline, _ = first_bytes.partition(b"\n")
    if not newline:
        # The first line runs past the sniffed bytes: a long one-line object, which the
        # JSONL parser reads correctly whether it is a JSONL row or a compact single task.
        return True
    try:
        return isinstance(orjson.loads(first_line), dict)
    except orjson.JSONDecodeError:
        return False


def detect_format(filename: str, first_bytes: bytes) -> Format:
    """Guess the format from the name's extension, then from the first bytes.

    `.jsonl`/`.ndjson` are JSONL and `.csv`/`.txt` CSV. Otherwise (`.json` or no telling
    extension) the content decides: `[` opens a Label Studio array; `{` is JSONL when the whole
    first line is one object, else a pretty-printed Label Studio task; anything else is CSV.
    """
    name = filename.lower()
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith((".csv", ".txt")):
        return "csv"
    head = first_bytes.removeprefix(BOM).lstrip()
    if head.startswith(b"["):
        return "labelstudio"
    if head.startswith(b"{"):
        return "jsonl" if _first_line_is_object(head) else "labelstudio"
    if not head:
        raise ValidationFailed(
            f"cannot tell the format of {filename!r}: the file is empty",
            code="unknown_format",
            field="file",
        )
    return "csv"


def parse_rows(fp: BinaryIO, fmt: str) -> Iterator[ItemRow | RowError]:
    """The rows of an import file opened in binary mode, in format `fmt` (see `FORMATS`)."""
    if fmt == "jsonl":
        return parse_jsonl_lines(fp)
    if fmt == "csv":
        return parse_csv_lines(fp)
    if fmt == "labelstudio":
        return parse_labelstudio(fp)
    raise ValidationFailed(
        f"unknown import format {fmt!r}; use one of {', '.join(FORMATS)}",
        code="unknown_format",
        field="format",
    )
