"""Mood over a recorded stream: the live bot's MoodTracker replayed second by second, the
timeline in buckets, and the moments worth a look (the top hype peaks, the sharpest swings).

Pure logic over scored messages: no model, no files. `replay` feeds the tracker exactly as the
running bot does (messages by their timestamps, `hype` and `check_swing` on a one-second timer),
so the swings found here are the alerts the bot would have sent on that stream.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from analysis.chatlog import LogMessage
from bot.config import MoodConfig
from model.text import strip_invisible
from mood.errors import UsageError
from mood.labels import Score
from mood.tracker import Bucket, MoodTracker, Swing, WindowStats

MAX_TIMELINE_ROWS = 1_000_000
QUOTE_CHARS = 120


@dataclass(frozen=True, slots=True)
class Tick:
    """What the bot's one-second timer sees at `at`: hype, the short window and the baseline."""

    at: float
    hype: int
    short: WindowStats
    baseline: WindowStats

    @property
    def delta(self) -> float:
        return self.short.mean - self.baseline.mean


@dataclass(frozen=True, slots=True)
class Replay:
    ticks: list[Tick]
    swings: list[Swing]


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One bucket of the timeline; `hype` is the highest !hype reading inside it (None: no chat)."""

    bucket: Bucket
    hype: int | None

    @property
    def rate(self) -> float:
        return self.bucket.count / self.bucket.length

    @property
    def mean(self) -> float | None:
        return self.bucket.total / self.bucket.count if self.bucket.count else None

    def share(self, label: str) -> float:
        return getattr(self.bucket, label) / self.bucket.count if self.bucket.count else 0.0


@dataclass(frozen=True, slots=True)
class Moment:
    """A hype peak or a swing. For swings, before/after are the baseline and short-window means
    where the swing went furthest, and `alert` says whether the live bot would announce it."""

    kind: str
    at: float
    hype: int
    rate: float
    mood: float
    messages: tuple[str, ...]
    before: float | None = None
    after: float | None = None
    alert: str = ""

    @property
    def change(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


def hms(seconds: float) -> str:
    """Seconds as h:mm:ss (negative for chat before the recording's zero)."""
    sign, whole = ("-" if seconds < 0 else ""), int(abs(seconds))
    return f"{sign}{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def replay(messages: Sequence[LogMessage], scores: Sequence[Score], settings: MoodConfig) -> Replay:
    """Run the live bot's mood logic over time-ordered messages, one timer tick per second, from
    the first message to the last (the bot's timer would go on ticking over a silent channel)."""
    tracker = MoodTracker(settings)
    ticks: list[Tick] = []
    swings: list[Swing] = []
    if not messages:
        return Replay(ticks, swings)
    i, n = 0, len(messages)
    t = math.floor(messages[0].offset) + 1
    end = math.floor(messages[-1].offset) + 1  # the recording ends; a quiet tail is not the stream
    while t <= end:
        while i < n and messages[i].offset < t:
            tracker.add(messages[i].offset, scores[i].value, scores[i].label)
            i += 1
        short, baseline = tracker.window(t, settings.short_window_s), tracker.baseline(t)
        if short.count == 0 and baseline.count == 0 and i < n:
            # Silence longer than the baseline: the timer would see empty windows, skip ahead.
            t = max(t + 1, math.floor(messages[i].offset) + 1)
            continue
        hype = tracker.hype(t)
        swing = tracker.check_swing(t, alerts_enabled=True)
        if swing is not None:
            swings.append(swing)
        ticks.append(Tick(t, hype.level, short, baseline))
        t += 1
    return Replay(ticks, swings)


def timeline_span(messages: Sequence[LogMessage], bucket_s: float) -> tuple[float, int]:
    """The start of the first bucket and the number of buckets; a one-line UsageError, naming the
    last message, where they would be more than MAX_TIMELINE_ROWS (a wrong time on one entry)."""
    first = math.floor(messages[0].offset / bucket_s) * bucket_s
    count = math.floor((messages[-1].offset - first) / bucket_s) + 1
    if count > MAX_TIMELINE_ROWS:
        raise UsageError(f"a {bucket_s:g} s bucket makes {count:,} timeline rows for this log, from "
                         f"{_named(messages[0])} to {_named(messages[-1])}; a wrong time on one of them, "
                         "or choose a longer --bucket")
    return first, count


def _named(message: LogMessage) -> str:
    """A message for an error: its time and the start of its text."""
    return f"{message.offset:,.0f} s ({message.user}: {message.text[:40]!r})"


def timeline(messages: Sequence[LogMessage], scores: Sequence[Score], ticks: Sequence[Tick],
             bucket_s: float) -> list[TimelineRow]:
    """Buckets of `bucket_s` seconds from the first message to the last, empty ones included."""
    if not messages:
        return []
    first, count = timeline_span(messages, bucket_s)
    buckets = [Bucket(first + k * bucket_s, bucket_s) for k in range(count)]
    for message, score in zip(messages, scores, strict=True):
        buckets[min(int((message.offset - first) // bucket_s), count - 1)].add(score.value, score.label)
    hype: list[int | None] = [None] * count
    for tick in ticks:  # a tick at t reads [t - short, t): it belongs to the bucket ending at or after t
        k = math.ceil((tick.at - first) / bucket_s) - 1
        if 0 <= k < count and buckets[k].count:
            hype[k] = max(hype[k] or 0, tick.hype)
    return [TimelineRow(b, h) for b, h in zip(buckets, hype, strict=True)]


def hype_peaks(replayed: Replay, messages: Sequence[LogMessage], scores: Sequence[Score],
               settings: MoodConfig, top: int) -> list[Moment]:
    """The `top` highest hype readings, each the highest within one short window either side
    (a lull next to a bigger moment is no peak), highest first."""
    ticks = replayed.ticks
    peaks = _local_maxima([t.at for t in ticks], [t.hype for t in ticks], settings.short_window_s)
    candidates = sorted((ticks[i] for i in peaks if ticks[i].short.count >= settings.min_messages
                         and ticks[i].hype > 0),
                        key=lambda t: (t.hype, t.short.rate), reverse=True)
    picked: list[Tick] = []
    for tick in candidates:
        if len(picked) == top:
            break
        if all(abs(tick.at - p.at) >= settings.short_window_s for p in picked):
            picked.append(tick)
    offsets = [m.offset for m in messages]
    return [Moment("hype peak", t.at, t.hype, t.short.rate, t.short.mean,
                   representative(messages, scores, offsets, t.at - settings.short_window_s, t.at, +1))
            for t in picked]


def sharpest_swings(replayed: Replay, messages: Sequence[LogMessage], scores: Sequence[Score],
                    settings: MoodConfig, top: int) -> list[Moment]:
    """The swings the bot's detector found, measured where each went furthest within one short
    window after detection; the `top` largest changes first."""
    times = [t.at for t in replayed.ticks]
    offsets = [m.offset for m in messages]
    moments = []
    for swing in replayed.swings:
        direction = 1 if swing.after >= swing.before else -1
        lo = bisect_left(times, swing.at)
        hi = bisect_right(times, swing.at + settings.short_window_s)
        span = [t for t in replayed.ticks[lo:hi]
                if min(t.short.count, t.baseline.count) >= settings.min_messages] or [replayed.ticks[lo]]
        far = max(span, key=lambda t: direction * t.delta)
        begin = far.at - settings.short_window_s
        quotes = representative(messages, scores, offsets, begin, far.at, direction)
        alert = "sent" if swing.sent else f"not sent ({swing.reason})"
        moments.append(Moment("swing", swing.at, replayed.ticks[lo].hype, far.short.rate, far.short.mean,
                              quotes, before=far.baseline.mean, after=far.short.mean, alert=alert))
    moments.sort(key=lambda m: abs(m.change or 0.0), reverse=True)
    return moments[:top]


def _local_maxima(times: Sequence[float], values: Sequence[int], radius: float) -> list[int]:
    """Indices whose value is the highest within `radius` of their time (sliding-window maxima
    over the window ending at each index and the one starting there, in one pass each way)."""
    def window_max(order: range) -> list[int]:
        best: list[int] = [0] * len(values)
        window: deque[int] = deque()
        for i in order:
            while window and values[window[-1]] <= values[i]:
                window.pop()
            window.append(i)
            while abs(times[window[0]] - times[i]) > radius:
                window.popleft()
            best[i] = values[window[0]]
        return best

    before = window_max(range(len(values)))
    after = window_max(range(len(values) - 1, -1, -1))
    return [i for i, v in enumerate(values) if v >= before[i] and v >= after[i]]


def representative(messages: Sequence[LogMessage], scores: Sequence[Score], offsets: Sequence[float],
                   begin: float, end: float, direction: int, k: int = 3) -> tuple[str, ...]:
    """Up to `k` messages from [begin, end) that show the moment: those labelled in its direction
    first, then the most repeated (chat spams what it feels), then the strongest."""
    want = "positive" if direction > 0 else "negative"
    groups: dict[str, list] = {}
    for j in range(bisect_left(offsets, begin), bisect_left(offsets, end)):
        key = " ".join(messages[j].text.split()).casefold()
        if not key:
            continue
        group = groups.get(key)
        if group is None:
            groups[key] = group = [scores[j].label == want, 0, direction * scores[j].value, messages[j].text]
        group[1] += 1
    ranked = sorted(groups.values(), key=lambda g: (g[0], g[1], g[2]), reverse=True)
    return tuple(_quote(g[3]) for g in ranked[:k])


def _quote(text: str) -> str:
    """One line of chat as a person reads it: no control characters (a terminal would run an
    escape sequence), whitespace collapsed, cut at QUOTE_CHARS."""
    text = " ".join(strip_invisible(text).split())
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS - 1] + "…"
