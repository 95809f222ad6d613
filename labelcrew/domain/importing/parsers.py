"""Streaming parsers for item import files: JSONL, CSV and Label Studio task JSON.

Each parser reads its input incrementally and yields one `ItemRow` or one `RowError` per
row, so memory stays bounded by the longest row, whatever the file size. The one exception
is duplicate detection: each accepted id is kept with its line, because a duplicate may sit
anywhere in the file. That is O(unique ids) memory, about 120 bytes per short id (1,000,000
ids of ~11 characters measured 119 MB peak under tracemalloc); everything else is bounded.

`line` is the file's line number for JSONL and CSV (the CSV header is line 1; a quoted cell
spanning lines reports the row's first line) and the 1-based task number for Label Studio.
CSV is read strictly: a quote never closed is an error naming the line it opens on.
A row that fails is reported and skipped; its id is not taken, so a later row may use it.

Recognised row keys (JSONL keys, CSV columns, Label Studio task keys):
- `id` or `external_id`: required; a string or an integer, at most 255 characters. A string
  is stripped and put in canonical form (`text_rules.canonical_id`: NFC, invisible characters
  such as zero-width spaces dropped), so ids a reader cannot tell apart are duplicates; an id
  holding another format character (a bidi override) is refused.
- `data` or `payload` (not both): the item's JSON object; beside it only the keys listed here
  are allowed, so a misspelt key is an error rather than lost. Without it (JSONL only), every
  key that is not recognised here goes into the payload, which must then not be empty; in CSV
  every other column does, as strings. Label Studio tasks must have `data`; Label Studio's
  own keys (annotations, predictions, meta, ...: `LABEL_STUDIO_KEYS`) are tolerated and
  ignored, any other is refused. A Label Studio file is an array of tasks or one task object.
- `priority`: an integer, or a string holding one, within the 32-bit range; default 0.
- `skills` or `required_skills`: a list of strings, or a string split on `,` and `;`.
- `batch`: a batch name; `difficulty`: one of easy, normal, hard.
- `gold`: the known answer, an object (in CSV a cell holding a JSON object).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, Literal

import ijson
import orjson

from labelcrew.domain.importing.rows import (
    DIFFICULTIES,
    MAX_ID_LENGTH,
    PRIORITY_RANGE,
    RECOGNISED,
    WITH_LABEL_STUDIO,
    ItemRow,
    RowError,
    RowProblem,
    row_from_object,
)
from labelcrew.errors import ValidationFailed

__all__ = [
    "DIFFICULTIES",
    "FORMATS",
    "HEAD_BYTES",
    "MAX_ID_LENGTH",
    "PRIORITY_RANGE",
    "ItemRow",
    "OverlongLine",
    "RowError",
    "detect_format",
    "parse_csv_lines",
    "parse_jsonl_lines",
    "parse_labelstudio",
    "parse_rows",
]

Format = Literal["jsonl", "csv", "labelstudio"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "labelstudio")
BOM = b"\xef\xbb\xbf"
HEAD_BYTES = 65536


class OverlongLine(bytes):
    """Stands for a line longer than the reader's limit, which it skipped without keeping:
    empty bytes, with the line's length in `size` and the limit in `limit`."""

    size: int
    limit: int

    @classmethod
    def of(cls, size: int, limit: int) -> OverlongLine:
        made = cls()
        made.size, made.limit = size, limit
        return made


def parse_jsonl_lines(lines: Iterable[bytes | str]) -> Iterator[ItemRow | RowError]:
    """JSONL rows from an iterable of lines (bytes or str); blank lines are skipped, and an
    `OverlongLine` is an error naming its length."""
    seen: dict[str, int] = {}
    loads = orjson.loads
    for line, raw in enumerate(lines, 1):
        if type(raw) is OverlongLine:
            yield RowError(
                line, None, f"the line is {raw.size:,} bytes long; at most {raw.limit:,}"
            )
            continue
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
        yield row_from_object(obj, line, seen, data_required=False)


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
            raise RowProblem(None, f"column {index + 1} has an empty name")
        if name in seen:
            raise RowProblem(name, f"column {name!r} appears twice")
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
        raise RowProblem("id", "the header has no id or external_id column")
    return roles, sorted(payload_columns)


def parse_csv_lines(lines: Iterable[bytes | str]) -> Iterator[ItemRow | RowError]:
    """CSV rows from an iterable of lines that keep their line endings (as a file yields them).

    The reader is strict: a quote that is never closed would otherwise swallow every line
    after it into one cell, and a stray quote after a closing one would be kept silently."""
    reader = csv.reader(_decoded(lines), strict=True)
    seen: dict[str, int] = {}
    try:
        header = next(reader, None)
        if header is None:
            yield RowError(1, None, "the file is empty; a CSV import needs a header row")
            return
        try:
            roles, payload_columns = _csv_columns(header)
        except RowProblem as problem:
            yield RowError(1, problem.field, problem.message)
            return
        width = len(header)
        id_at = roles["id"]
        optional = [
            (name, roles.get(name))
            for name in ("priority", "skills", "batch", "difficulty", "gold")
        ]
        previous_end = reader.line_num
        for cells in _records(reader):
            if isinstance(cells, csv.Error):
                yield _malformed(previous_end + 1, reader.line_num, cells)
                previous_end = reader.line_num
                continue
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
            yield row_from_object(obj, line, seen, data_required=True)
    except _NotUtf8 as bad:
        yield RowError(bad.line, None, f"the file is not UTF-8 text: {bad.reason}")
    except csv.Error as exc:  # in the header
        yield _malformed(1, reader.line_num, exc)


def _records(reader: Any) -> Iterator[list[str] | csv.Error]:
    """The reader's records, with each malformed one as its error: the reader goes on at the
    next line after an error (an unclosed quote ends the file)."""
    while True:
        try:
            yield from reader
            return
        except csv.Error as exc:
            yield exc


def _malformed(line: int, last: int, exc: csv.Error) -> RowError:
    if "unexpected end of data" in str(exc):
        return RowError(
            line,
            None,
            f"malformed CSV: the quoted cell opened on line {line} is never closed "
            f"(it runs to the end of the file, line {last})",
        )
    return RowError(line, None, f"malformed CSV on line {line}: {exc}")


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
            if start == b"{" and type(task) is dict and "data" not in task:
                # An object that is not a task (a project export, `{"tasks": [...]}`): saying
                # so beats "the task has no id" about the wrapper.
                keys = ", ".join(map(repr, list(task)[:5])) or "none"
                yield RowError(
                    1,
                    None,
                    "the file's top level is an object that is not a task (no data; its keys: "
                    f"{keys}); a Label Studio file holds a JSON array of tasks",
                )
                return
            yield row_from_object(task, number, seen, True, WITH_LABEL_STUDIO)
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
