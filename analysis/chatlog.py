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

import gzip
import json
import logging
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis.csvlog import read_csv
from analysis.logtime import absolute_seconds, finite_number
from analysis.logtypes import ACCEPTED, ChatLog, ChatLogError, LogMessage, Skip, collect

log = logging.getLogger(__name__)

__all__ = ["ChatLog", "ChatLogError", "LogMessage", "read_chat_log"]


DEFAULT_RATE = 10.0  # messages per second assumed for logs without times


def read_chat_log(path: str | Path, *, assumed_rate: float = DEFAULT_RATE) -> ChatLog:
    """Read a chat log in any accepted format; raise ChatLogError when it is none of them."""
    path = Path(path)
    text = _decode(path, _read_bytes(path))
    start = text.lstrip()[:1]
    if not start:
        raise ChatLogError(f"{path} is empty; {ACCEPTED}")
    chat = _read_json(path, text) if start in "{[" else read_csv(path, text, assumed_rate)
    if not chat.messages:
        found = f" (skipped: {chat.skipped_summary()})" if chat.skipped else ""
        raise ChatLogError(f"{path} is a {chat.format} file with no chat messages in it{found}")
    chat.messages.sort(key=lambda m: m.offset)
    return chat


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
    """UTF-8 text (a BOM is dropped); a few bad bytes among real UTF-8 become U+FFFD. A file saved
    as UTF-16 with its byte-order mark (Windows' "Unicode text"), or in Windows-1252 (Latin-1:
    bytes that are not UTF-8, and no UTF-8 character beyond ASCII), is read as such; binary data is
    refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ChatLogError(f"{path} starts as UTF-16 text but is cut off or corrupt") from None
    if b"\x00" not in data[:8192]:
        text = data.decode("utf-8-sig", errors="replace")
        if "\ufffd" in text and not any(ord(c) > 127 and c != "\ufffd" for c in text):
            text = data.decode("cp1252", errors="replace")
            log.warning("%s is not UTF-8 text: read as Windows-1252 (Latin-1)", path)
        if _mostly_text(text):
            return text
    raise ChatLogError(f"{path} is binary data, not a chat log (starts with bytes "
                       f"{data[:8].hex(' ')}); {ACCEPTED}")


def _mostly_text(text: str) -> bool:
    """Whether at most 5% of the first 8 KiB of characters are undecodable or control characters."""
    sample = text[:8192]
    odd = sum(1 for c in sample if c == "\ufffd" or (c < " " and c not in "\t\n\r\f"))
    return odd <= 0.05 * max(len(sample), 1)


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
        return collect(path, "TwitchDownloader chat JSON", document["comments"], _twitchdownloader)
    if isinstance(document, Mapping) and "message" in document:
        document = [document]  # a one-line JSON lines file
    if isinstance(document, list) and document:
        first = next((item for item in document if isinstance(item, Mapping)), {})
        if "content_offset_seconds" in first:
            return collect(path, "TwitchDownloader comments JSON", document, _twitchdownloader)
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
    # Line breaks only, not splitlines: a raw U+2028 inside a message does not end its line.
    lines = [line for line in text.split("\n")[:5] if line.strip()]
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
    places: list[str] = []
    bad: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):  # not splitlines: U+2028 may be in a message
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
            places.append(f"line {number}")
        except json.JSONDecodeError:
            bad.append(f"line {number}")
    chat = _chat_downloader(path, "chat-downloader JSON lines", items, places)
    for where in bad:
        chat.skip("malformed JSON lines", where)
    return chat


def _twitchdownloader(comment: Any) -> tuple[float, bool, str, str]:
    if not isinstance(comment, Mapping):
        raise Skip("malformed entries")
    offset = finite_number(comment.get("content_offset_seconds"))
    if offset is None:
        raise Skip("entries without a time")
    commenter = comment.get("commenter")
    commenter = commenter if isinstance(commenter, Mapping) else {}
    user = commenter.get("display_name") or commenter.get("name") or ""
    message = comment.get("message")
    body = message.get("body") if isinstance(message, Mapping) else None
    if not isinstance(body, str) and isinstance(message, Mapping):
        fragments = message.get("fragments")
        if isinstance(fragments, list):
            body = "".join(f.get("text") or "" for f in fragments if isinstance(f, Mapping)) or None
    if not isinstance(body, str):
        raise Skip("entries without message text")
    return offset, False, str(user), body


def _chat_downloader(path: Path, name: str, items: list[Any], places: list[str] | None = None) -> ChatLog:
    def parse(item: Any) -> tuple[float, bool, str, str]:
        if not isinstance(item, Mapping):
            raise Skip("malformed entries")
        kind = item.get("message_type", "text_message")
        if kind != "text_message":  # subscriptions, raids, bans: the live bot does not count them
            raise Skip("events that are not chat messages")
        text = item.get("message")
        if not isinstance(text, str):
            raise Skip("entries without message text")
        author = item.get("author")
        author = author if isinstance(author, Mapping) else {}
        user = str(author.get("name") or author.get("display_name") or "")
        relative = finite_number(item.get("time_in_seconds"))
        if relative is not None:
            return relative, False, user, text
        absolute = absolute_seconds(item.get("timestamp"))
        if absolute is None:
            raise Skip("entries without a time")
        return absolute, True, user, text

    return collect(path, name, items, parse, places)




def _keys(mapping: Mapping[str, Any]) -> str:
    keys = list(mapping)[:8]
    return "[" + ", ".join(map(str, keys)) + (", …]" if len(mapping) > 8 else "]")


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "an empty list" if not value else f"a list of {type(value[0]).__name__}"
    return f"a {type(value).__name__}"
