"""The byte stream an import reads: format sniffing replayed, bytes counted for progress,
and, when bad rows go to a reject file, each row's source lines kept until the row is done."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from labelcrew.domain.importing.parsers import (
    ItemRow,
    OverlongLine,
    RowError,
    parse_csv_lines,
    parse_jsonl_lines,
    parse_rows,
)

SKIP_CHUNK = 1 << 20


def bounded_lines(stream: BinaryIO, limit: int) -> Iterator[bytes]:
    """The stream's lines, none held longer than `limit` bytes: a longer line is read through
    in 1 MiB pieces and dropped, and an `OverlongLine` with its length stands in its place
    (so a 60 MB JSONL line costs 1 MiB of memory, not 60, before it is refused)."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        size = len(line)
        while not line.endswith(b"\n"):
            line = stream.readline(SKIP_CHUNK)
            if not line:
                break
            size += len(line)
        yield OverlongLine.of(size, limit)


class CountingReader(io.RawIOBase):
    """The upload as a raw stream: first the bytes read to sniff the format, then the rest;
    counts the bytes handed on, for progress."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
        else:
            data = self._rest.read(len(buffer))
            n = len(data)
            buffer[:n] = data
        self.bytes_read += n
        return n


class LineLog:
    """Remembers the lines read since the last row, so a rejected row can quote its source."""

    def __init__(self, lines: Iterable[bytes]) -> None:
        self._lines = lines
        self.recent: list[tuple[int, bytes]] = []

    def __iter__(self) -> Iterator[bytes]:
        for number, line in enumerate(self._lines, 1):
            self.recent.append((number, line))
            yield line

    def take(self, first_line: int) -> str:
        raw = b"".join(line for number, line in self.recent if number >= first_line)
        self.recent.clear()
        return raw.decode("utf-8", errors="replace").rstrip("\r\n")


def rows_of(
    stream: BinaryIO, fmt: str, want_raw: bool, *, line_limit: int
) -> tuple[Iterator[ItemRow | RowError], LineLog | None]:
    """The rows of the stream and, when rejected rows are to be quoted, the log of their lines.
    A JSONL line over `line_limit` bytes is never held whole (`bounded_lines`)."""
    if fmt == "jsonl":
        lines: Iterable[bytes] = bounded_lines(stream, line_limit)
        if want_raw:
            log = LineLog(lines)
            return parse_jsonl_lines(log), log
        return parse_jsonl_lines(lines), None
    if want_raw and fmt == "csv":
        log = LineLog(stream)
        return parse_csv_lines(log), log
    return parse_rows(stream, fmt), None
