"""Recorded chat logs in the formats people have, read into (offset, user, text) messages.

Accepted, detected from the content rather than the file name:
- TwitchDownloader chat JSON (`comments[].content_offset_seconds`, `commenter.display_name`,
  `message.body`), plain or gzip-compressed (`.json.gz`);
- chat-downloader output: a JSON array or JSON lines of items with `message`, `author.name` and
  `time_in_seconds` (past broadcasts) or `timestamp` (microseconds, live recordings);
- CSV with a header naming a message column and optionally a time and a user column. Without
  a time column, messages are spaced evenly at a stated assumed rate.

A file that cannot be a chat log (empty, binary, truncated JSON, no message column) raises
ChatLogError with one line saying what was found; single bad entries inside a good file are
skipped and counted by reason.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.logtime import absolute_seconds, finite_number, parse_time
from mood.errors import TwitchMoodError

ACCEPTED = ("accepted: TwitchDownloader chat JSON (.json or .json.gz), chat-downloader JSON "
            "(array or JSON lines), or CSV with a header naming a message column")
MESSAGE_COLUMNS = ("message", "text", "body", "message.body", "content", "msg", "comment")
TIME_COLUMNS = ("time_in_seconds", "content_offset_seconds", "offset", "offset_seconds", "seconds",
                "time", "timestamp", "time_text", "created_at", "date")
USER_COLUMNS = ("user", "username", "user_name", "author.name", "author.display_name", "author",
                "commenter.display_name", "commenter", "display_name", "name", "nick", "login")
DEFAULT_RATE = 10.0  # messages per second assumed for logs without times
_CSV_DELIMITERS = (",", "\t", ";", "|")


class ChatLogError(TwitchMoodError):
    """The file is not a chat log this reader accepts; the message is one line."""


@dataclass(frozen=True, slots=True)
class LogMessage:
    """One chat message: seconds from the start of the recording, who wrote it, what."""

    offset: float
    user: str
    text: str


@dataclass
class ChatLog:
    """The messages of a log in time order, what was skipped and why, and any assumed rate."""

    path: Path
    format: str
    messages: list[LogMessage]
    skipped: Counter[str] = field(default_factory=Counter)
    assumed_rate: float | None = None

    @property
    def duration(self) -> float:
        return self.messages[-1].offset - self.messages[0].offset if self.messages else 0.0

    def skipped_summary(self) -> str:
        """E.g. '3 malformed JSON lines, 2 events without chat text'."""
        return ", ".join(f"{n} {reason}" for reason, n in self.skipped.most_common())


class _Skip(Exception):
    """One entry is unusable; the argument is the reason it is counted under."""


def read_chat_log(path: str | Path, *, assumed_rate: float = DEFAULT_RATE) -> ChatLog:
    """Read a chat log in any accepted format; raise ChatLogError when it is none of them."""
    path = Path(path)
    text = _decode(path, _read_bytes(path))
    start = text.lstrip()[:1]
    if not start:
        raise ChatLogError(f"{path} is empty; {ACCEPTED}")
    log = _read_json(path, text) if start in "{[" else _read_csv(path, text, assumed_rate)
    if not log.messages:
        found = f" (skipped: {log.skipped_summary()})" if log.skipped else ""
        raise ChatLogError(f"{path} is a {log.format} file with no chat messages in it{found}")
    log.messages.sort(key=lambda m: m.offset)
    return log


def _read_bytes(path: Path) -> bytes:
    if path.is_dir():
        raise ChatLogError(f"{path} is a directory, not a chat log file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ChatLogError(f"chat log {path} not found") from None
    except OSError as exc:
        raise ChatLogError(f"cannot read {path}: {exc.strerror or exc}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (EOFError, OSError, zlib.error):
            raise ChatLogError(f"{path} is gzip-compressed but cut off or corrupt") from None
    return data


def _decode(path: Path, data: bytes) -> str:
    """UTF-8 text (a BOM is dropped); a few bad bytes become U+FFFD, binary data is refused."""
    head = data[:8192]
    text = data.decode("utf-8-sig", errors="replace")
    sample = text[:8192]
    odd = sum(1 for c in sample if c == "\ufffd" or (c < " " and c not in "\t\n\r\f"))
    if b"\x00" in head or odd > 0.05 * max(len(sample), 1):
        raise ChatLogError(f"{path} is binary data, not a chat log (starts with bytes "
                           f"{data[:8].hex(' ')}); {ACCEPTED}")
    return text


# -- JSON ------------------------------------------------------------------------------------


def _read_json(path: Path, text: str) -> ChatLog:
    if _looks_like_json_lines(text):
        return _read_json_lines(path, text)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ChatLogError(f"{path}: JSON is cut off or broken at line {exc.lineno}, column {exc.colno} "
                           f"({exc.msg}); a truncated download?") from None
    if isinstance(document, Mapping) and isinstance(document.get("comments"), list):
        return _collect(path, "TwitchDownloader chat JSON", document["comments"], _twitchdownloader)
    if isinstance(document, Mapping) and "message" in document:
        document = [document]  # a one-line JSON lines file
    if isinstance(document, list) and document:
        first = next((item for item in document if isinstance(item, Mapping)), {})
        if "content_offset_seconds" in first:
            return _collect(path, "TwitchDownloader comments JSON", document, _twitchdownloader)
        if "message" in first or "message_type" in first:
            return _chat_downloader(path, "chat-downloader JSON", document)
        raise ChatLogError(f"{path}: a JSON list whose first item has keys {_keys(first)}, which matches "
                           f"no chat format; {ACCEPTED}")
    if isinstance(document, Mapping):
        raise ChatLogError(f"{path}: JSON with top-level keys {_keys(document)} matches no chat format; "
                           f"{ACCEPTED}")
    raise ChatLogError(f"{path}: JSON holding {_describe(document)} matches no chat format; {ACCEPTED}")


def _looks_like_json_lines(text: str) -> bool:
    """More than one line, and an object alone on one of the first few lines."""
    lines = [line for line in text.splitlines()[:5] if line.strip()]
    if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
        return False
    for line in lines:
        try:
            if isinstance(json.loads(line), Mapping):
                return True
        except json.JSONDecodeError:
            continue
    return False


def _read_json_lines(path: Path, text: str) -> ChatLog:
    items: list[Any] = []
    bad = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError:
            bad += 1
    log = _chat_downloader(path, "chat-downloader JSON lines", items)
    if bad:
        log.skipped["malformed JSON lines"] += bad
    return log


def _twitchdownloader(comment: Any) -> tuple[float, bool, str, str]:
    if not isinstance(comment, Mapping):
        raise _Skip("malformed entries")
    offset = finite_number(comment.get("content_offset_seconds"))
    if offset is None:
        raise _Skip("entries without a time")
    commenter = comment.get("commenter") if isinstance(comment.get("commenter"), Mapping) else {}
    user = commenter.get("display_name") or commenter.get("name") or ""
    message = comment.get("message")
    body = message.get("body") if isinstance(message, Mapping) else None
    if not isinstance(body, str) and isinstance(message, Mapping):
        fragments = message.get("fragments")
        if isinstance(fragments, list):
            body = "".join(f.get("text") or "" for f in fragments if isinstance(f, Mapping)) or None
    if not isinstance(body, str):
        raise _Skip("entries without message text")
    return offset, False, str(user), body


def _chat_downloader(path: Path, name: str, items: list[Any]) -> ChatLog:
    def parse(item: Any) -> tuple[float, bool, str, str]:
        if not isinstance(item, Mapping):
            raise _Skip("malformed entries")
        kind = item.get("message_type", "text_message")
        if kind != "text_message":  # subscriptions, raids, bans: the live bot does not count them
            raise _Skip("events that are not chat messages")
        text = item.get("message")
        if not isinstance(text, str):
            raise _Skip("entries without message text")
        author = item.get("author") if isinstance(item.get("author"), Mapping) else {}
        user = str(author.get("name") or author.get("display_name") or "")
        relative = finite_number(item.get("time_in_seconds"))
        if relative is not None:
            return relative, False, user, text
        absolute = absolute_seconds(item.get("timestamp"))
        if absolute is None:
            raise _Skip("entries without a time")
        return absolute, True, user, text

    return _collect(path, name, items, parse)


def _collect(path: Path, name: str, items: Iterable[Any],
             parse: Callable[[Any], tuple[float, bool, str, str]]) -> ChatLog:
    """Parse entries into messages; times on a wall clock become offsets from the first one.
    When a log mixes both kinds, the relative times win and clock-only entries are skipped."""
    skipped: Counter[str] = Counter()
    relative: list[LogMessage] = []
    absolute: list[LogMessage] = []
    for item in items:
        try:
            offset, is_absolute, user, text = parse(item)
        except _Skip as skip:
            skipped[str(skip)] += 1
            continue
        (absolute if is_absolute else relative).append(LogMessage(offset, user, text))
    if relative and absolute:
        skipped["entries without a stream offset"] += len(absolute)
        absolute = []
    if absolute:
        first = min(m.offset for m in absolute)
        relative = [LogMessage(m.offset - first, m.user, m.text) for m in absolute]
    return ChatLog(path, name, relative, skipped)


# -- CSV -------------------------------------------------------------------------------------


def _read_csv(path: Path, text: str, assumed_rate: float) -> ChatLog:
    header_line = text.lstrip().splitlines()[0]
    delimiter, header = _csv_header(header_line)
    if delimiter is None:
        preview = header_line[:60] + ("…" if len(header_line) > 60 else "")
        found = f"a CSV header {header}" if len(header) > 1 else f"first line {preview!r}"
        raise ChatLogError(f"{path}: no message column found ({found}); {ACCEPTED}; message column "
                           f"names: {', '.join(MESSAGE_COLUMNS)}")
    message_col = _pick(header, MESSAGE_COLUMNS)
    time_col, user_col = _pick(header, TIME_COLUMNS), _pick(header, USER_COLUMNS)
    rows = csv.reader(io.StringIO(text.lstrip()), delimiter=delimiter)
    next(rows)
    skipped: Counter[str] = Counter()
    parsed: list[tuple[tuple[float, bool] | None, str, str]] = []
    for row in _tolerant(rows, skipped):
        if len(row) <= message_col or not row[message_col]:
            skipped["rows without message text" if len(row) > message_col else "malformed CSV rows"] += 1
            continue
        user = row[user_col] if user_col is not None and len(row) > user_col else ""
        when = None
        if time_col is not None:
            when = parse_time(row[time_col]) if len(row) > time_col else None
            if when is None:
                skipped["rows with an unreadable time"] += 1
                continue
        parsed.append((when, user, row[message_col]))
    used = [f"{role} {header[col]!r}" for role, col in (("message", message_col), ("time", time_col),
                                                         ("user", user_col)) if col is not None]
    name = f"CSV ({', '.join(used)})"
    if time_col is None:
        messages = [LogMessage(i / assumed_rate, user, body) for i, (_, user, body) in enumerate(parsed)]
        return ChatLog(path, name, messages, skipped, assumed_rate=assumed_rate)
    log = _collect(path, name, parsed, lambda p: (p[0][0], p[0][1], p[1], p[2]))
    log.skipped.update(skipped)
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


def _tolerant(rows: Iterator[list[str]], skipped: Counter[str]) -> Iterator[list[str]]:
    """Rows of a csv.reader; a row the csv module rejects is counted and skipped."""
    while True:
        try:
            yield next(rows)
        except StopIteration:
            return
        except csv.Error:
            skipped["malformed CSV rows"] += 1


def _keys(mapping: Mapping[str, Any]) -> str:
    keys = list(mapping)[:8]
    return "[" + ", ".join(map(str, keys)) + (", …]" if len(mapping) > 8 else "]")


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "an empty list" if not value else f"a list of {type(value[0]).__name__}"
    return f"a {type(value).__name__}"
