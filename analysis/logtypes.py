"""What a chat log reads into, shared by the JSON and CSV readers: messages, the log, its error."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mood.errors import TwitchMoodError

ACCEPTED = ("accepted: TwitchDownloader chat JSON (.json or .json.gz), chat-downloader JSON "
            "(array or JSON lines), or CSV with a header naming a message column")


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
    open_quotes: list[int] = field(default_factory=list)  # CSV lines read as typed: a quote left open

    @property
    def duration(self) -> float:
        return self.messages[-1].offset - self.messages[0].offset if self.messages else 0.0

    def skipped_summary(self) -> str:
        """E.g. '3 malformed JSON lines, 2 events without chat text'."""
        return ", ".join(f"{n} {reason}" for reason, n in self.skipped.most_common())


class Skip(Exception):
    """One entry is unusable; the argument is the reason it is counted under."""



def collect(path: Path, name: str, items: Iterable[Any],
             parse: Callable[[Any], tuple[float, bool, str, str]]) -> ChatLog:
    """Parse entries into messages; times on a wall clock become offsets from the first one.
    When a log mixes both kinds, the relative times win and clock-only entries are skipped."""
    skipped: Counter[str] = Counter()
    relative: list[LogMessage] = []
    absolute: list[LogMessage] = []
    for item in items:
        try:
            offset, is_absolute, user, text = parse(item)
        except Skip as skip:
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
