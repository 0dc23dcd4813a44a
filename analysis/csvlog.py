"""CSV chat logs: a header naming a message column and optionally a time and a user column.
Without a time column, messages are spaced evenly at an assumed rate."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from analysis.logtime import parse_time
from analysis.logtypes import ACCEPTED, ChatLog, ChatLogError, LogMessage, collect, note_skip

MESSAGE_COLUMNS = ("message", "text", "body", "message.body", "content", "msg", "comment")
TIME_COLUMNS = ("time_in_seconds", "content_offset_seconds", "offset", "offset_seconds", "seconds",
                "time", "timestamp", "time_text", "created_at", "date")
USER_COLUMNS = ("user", "username", "user_name", "author.name", "author.display_name", "author",
                "commenter.display_name", "commenter", "display_name", "name", "nick", "login")
DEFAULT_RATE = 10.0  # messages per second assumed for logs without times
_CSV_DELIMITERS = (",", "\t", ";", "|")


def read_csv(path: Path, text: str, assumed_rate: float) -> ChatLog:
    header_line = text.lstrip().splitlines()[0]
    delimiter, header = _csv_header(header_line)
    if delimiter is None:
        preview = header_line[:60] + ("…" if len(header_line) > 60 else "")
        found = f"a CSV header {header}" if len(header) > 1 else f"first line {preview!r}"
        raise ChatLogError(f"{path}: no message column found ({found}); {ACCEPTED}; message column "
                           f"names: {', '.join(MESSAGE_COLUMNS)}")
    message_col = header.index(next(name for name in MESSAGE_COLUMNS if name in header))  # found above
    time_col, user_col = _pick(header, TIME_COLUMNS), _pick(header, USER_COLUMNS)
    lines = io.StringIO(text.lstrip()).readlines()
    blank_lines = text[:len(text) - len(text.lstrip())].count("\n")  # before the header
    skipped: Counter[str] = Counter()
    skipped_at: dict[str, list[str]] = {}
    open_quotes: list[int] = []
    parsed: list[tuple[tuple[float, bool] | None, str, str]] = []
    places: list[str] = []
    for number, row in _rows(lines, delimiter, len(header), open_quotes, blank_lines):
        where = f"line {number}"
        if row is None or len(row) <= message_col or not row[message_col]:
            reason = "rows without message text" if row and len(row) > message_col else "malformed CSV rows"
            note_skip(skipped, skipped_at, reason, where)
            continue
        user = row[user_col] if user_col is not None and len(row) > user_col else ""
        when = None
        if time_col is not None:
            when = parse_time(row[time_col]) if len(row) > time_col else None
            if when is None:
                note_skip(skipped, skipped_at, "rows with an unreadable time", where)
                continue
        parsed.append((when, user, row[message_col]))
        places.append(where)
    used = [f"{role} {header[col]!r}" for role, col in (("message", message_col), ("time", time_col),
                                                         ("user", user_col)) if col is not None]
    name = f"CSV ({', '.join(used)})"
    if time_col is None:
        messages = [LogMessage(i / assumed_rate, user, body) for i, (_, user, body) in enumerate(parsed)]
        return ChatLog(path, name, messages, skipped, assumed_rate=assumed_rate, open_quotes=open_quotes,
                       skipped_at=skipped_at)
    log = collect(path, name, parsed, lambda p: (p[0][0], p[0][1], p[1], p[2]), places)
    log.add_skips(skipped, skipped_at)
    log.open_quotes = open_quotes
    return log


def _csv_header(line: str) -> tuple[str | None, list[str]]:
    """The delimiter under which the first line names a message column, and that header."""
    best: list[str] = [line]
    for delimiter in _CSV_DELIMITERS:
        header = [_column(c) for c in next(csv.reader([line], delimiter=delimiter))]
        if any(name in MESSAGE_COLUMNS for name in header):
            return delimiter, header
        if len(header) > len(best):
            best = header
    return None, best


def _column(name: str) -> str:
    return name.strip().strip('"').lower()


def _pick(header: list[str], candidates: tuple[str, ...]) -> int | None:
    for name in candidates:
        if name in header:
            return header.index(name)
    return None


def _rows(lines: list[str], delimiter: str, width: int, open_quotes: list[int],
          blank_lines: int) -> Iterator[tuple[int, list[str] | None]]:
    """The rows after the header line (`width` cells). A quoted cell may hold line breaks, but a
    quote left open (`bob,"he said hi`) would swallow the rest of the log into one cell (or run
    into the csv module's field limit): where the lines strictly inside a row read over several
    lines are whole rows of their own, the row's first line is read on its own (the open cell
    to the end of the line), its number is kept in `open_quotes`, and reading goes on from the
    next line. Each row comes with the number of its first line as an editor shows it (the header
    is line 1 after `blank_lines` blank ones); a row the csv module rejects otherwise comes as None."""
    start = 1
    while start < len(lines):
        reader = csv.reader((lines[i] for i in range(start, len(lines))), delimiter=delimiter)
        done = 0  # lines of this reader's rows so far
        while True:
            try:
                row: list[str] | None = next(reader)
            except StopIteration:
                return
            except csv.Error:
                row = None
            first, last = start + done, start + reader.line_num
            number = blank_lines + first + 1  # as an editor shows it
            inside = lines[first + 1:last - 1]
            if any(len(_cells(line, delimiter)) >= width for line in inside):
                open_quotes.append(number)
                yield number, _cells(lines[first], delimiter)
                start = first + 1
                break
            done = reader.line_num
            yield number, row


def _cells(line: str, delimiter: str) -> list[str]:
    """One line's cells on its own: a quote it leaves open takes the rest of the line."""
    return next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
