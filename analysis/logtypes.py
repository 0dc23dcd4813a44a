"""What a chat log reads into, shared by the JSON and CSV readers: messages, the log, its error."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mood.errors import TwitchMoodError

PLACES_SHOWN = 3  # skipped entries named by place, per reason, in the summary
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
    skipped_at: dict[str, list[str]] = field(default_factory=dict)  # the first few places per reason

    @property
    def duration(self) -> float:
        return self.messages[-1].offset - self.messages[0].offset if self.messages else 0.0

    def skip(self, reason: str, where: str | None = None, count: int = 1) -> None:
        """Count `count` skipped entries under `reason`; `where` (`line 12`, `entry 3`) names one."""
        note_skip(self.skipped, self.skipped_at, reason, where, count)

    def add_skips(self, skipped: Counter[str], skipped_at: dict[str, list[str]]) -> None:
        """Add what a reader counted before the log existed (`note_skip`)."""
        self.skipped.update(skipped)
        for reason, places in skipped_at.items():
            known = self.skipped_at.setdefault(reason, [])
            known.extend(places[:PLACES_SHOWN - len(known)])

    def skipped_summary(self) -> str:
        """E.g. '3 malformed JSON lines (line 4, line 9, line 12), 2 events without chat text
        (entry 7, entry 8)': where the first few of each kind are, so they can be found."""
        parts = []
        for reason, n in self.skipped.most_common():
            places = self.skipped_at.get(reason, [])
            more = ", ..." if n > len(places) else ""
            parts.append(f"{n} {reason}" + (f" ({', '.join(places)}{more})" if places else ""))
        return ", ".join(parts)


def note_skip(skipped: Counter[str], skipped_at: dict[str, list[str]], reason: str, where: str | None,
              count: int = 1) -> None:
    """`ChatLog.skip` for readers that count before the log exists."""
    skipped[reason] += count
    if where is not None and len(places := skipped_at.setdefault(reason, [])) < PLACES_SHOWN:
        places.append(where)


class Skip(Exception):
    """One entry is unusable; the argument is the reason it is counted under."""



def collect(path: Path, name: str, items: Iterable[Any], parse: Callable[[Any], tuple[float, bool, str, str]],
            places: Sequence[str] | None = None) -> ChatLog:
    """Parse entries into messages; times on a wall clock become offsets from the first one.
    When a log mixes both kinds, the relative times win and clock-only entries are skipped.
    `places` names where each item is in the file (`line 3`); else `entry N`, counted from 1."""
    log = ChatLog(path, name, [])
    relative: list[LogMessage] = []
    absolute: list[tuple[str, LogMessage]] = []
    for i, item in enumerate(items):
        where = places[i] if places is not None else f"entry {i + 1}"
        try:
            offset, is_absolute, user, text = parse(item)
        except Skip as skip:
            log.skip(str(skip), where)
            continue
        if is_absolute:
            absolute.append((where, LogMessage(offset, user, text)))
        else:
            relative.append(LogMessage(offset, user, text))
    if relative and absolute:
        for where, _ in absolute:
            log.skip("entries without a stream offset", where)
        absolute = []
    if absolute:
        first = min(m.offset for _, m in absolute)
        relative = [LogMessage(m.offset - first, m.user, m.text) for _, m in absolute]
    log.messages = relative
    return log


# -- CSV -------------------------------------------------------------------------------------
