"""Rolling mood statistics of one channel: pure logic, fed timestamps and scores, no I/O.

Messages are summed into one-second buckets (restored per-minute aggregates become one bucket
each), so any window is a sum over at most `baseline_window_s` buckets whatever the chat rate.
The live bot and offline analysis share this one implementation.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from mood.labels import LABELS


class MoodSettings(Protocol):
    """The window and threshold settings a tracker reads (the bot's `MoodConfig` has them)."""

    @property
    def short_window_s(self) -> float: ...
    @property
    def report_window_s(self) -> float: ...
    @property
    def baseline_window_s(self) -> float: ...
    @property
    def swing_threshold(self) -> float: ...
    @property
    def rearm_band(self) -> float: ...
    @property
    def alert_cooldown_s(self) -> float: ...
    @property
    def min_messages(self) -> int: ...
    @property
    def hype_full_rate_ratio(self) -> float: ...


@dataclass(slots=True)
class Bucket:
    """Aggregates of the messages in [start, start + length)."""

    start: float
    length: float = 1.0
    count: int = 0
    total: float = 0.0
    negative: int = 0
    neutral: int = 0
    positive: int = 0

    def add(self, value: float, label: str) -> None:
        """Count one message with its value and label (negative, neutral or positive)."""
        self.count += 1
        self.total += value
        setattr(self, label, getattr(self, label) + 1)

    def merge(self, other: Bucket) -> None:
        """Add another bucket's aggregates to this one."""
        for name in ("count", "total", "negative", "neutral", "positive"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True, slots=True)
class WindowStats:
    """What a window of chat looked like; `seconds` is the span actually covered."""

    count: int
    mean: float
    negative: float
    neutral: float
    positive: float
    seconds: float

    @property
    def rate(self) -> float:
        """Messages per second."""
        return self.count / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Hype:
    """The hype level and the parts it is made of."""

    level: int
    rate_ratio: float
    positive: float


@dataclass(frozen=True, slots=True)
class Swing:
    """A detected mood swing: sent as an alert, or suppressed with the reason."""

    at: float
    before: float
    after: float
    sent: bool
    reason: str = ""


def hype_level(rate_ratio: float, positive_share: float, full_rate_ratio: float) -> int:
    """Hype 0-100: 60 points for message rate, 40 for positivity.

    The rate part grows linearly from the channel's normal rate (ratio 1, 0 points) to
    `full_rate_ratio` times normal (60 points); the positive part is the short window's
    share of positive messages times 40.
    """
    rate_part = min(max((rate_ratio - 1) / (full_rate_ratio - 1), 0.0), 1.0)
    return round(60 * rate_part + 40 * min(max(positive_share, 0.0), 1.0))


class MoodTracker:
    """Rolling windows, hype and swing detection for one channel."""

    def __init__(self, settings: MoodSettings) -> None:
        self.settings = settings
        self._buckets: deque[Bucket] = deque()
        self._first: float | None = None
        self._armed = True
        self._last_event: float | None = None
        self._last_sent: float | None = None
        # hype() and check_swing() at the same moment sum the same windows: keep the sums until
        # the buckets change.
        self._windows: dict[tuple[float, float], WindowStats] = {}

    def add(self, timestamp: float, value: float, label: str) -> None:
        """Count one scored message (label: negative, neutral or positive)."""
        if label not in LABELS:
            raise ValueError(f"label must be one of {LABELS}, not {label!r}")
        start = math.floor(timestamp)
        bucket = self._buckets[-1] if self._buckets else None
        if bucket is None or start > bucket.start:
            bucket = Bucket(start)
            self._buckets.append(bucket)
        elif start < bucket.start:  # late arrival: find (or make) its bucket
            bucket = self._bucket_for(start)
        bucket.add(value, label)
        self._windows.clear()
        if self._first is None or bucket.start < self._first:
            self._first = bucket.start
        self._forget(timestamp)

    def restore(self, bucket: Bucket) -> None:
        """Add stored aggregates (oldest first), e.g. per-minute rows after a restart."""
        self._buckets.append(bucket)
        self._windows.clear()
        self._first = bucket.start if self._first is None else min(self._first, bucket.start)

    def window(self, end: float, seconds: float) -> WindowStats:
        """Statistics of the messages in [end - seconds, end)."""
        cached = self._windows.get((end, seconds))
        if cached is not None:
            return cached
        begin = end - seconds
        count, total, negative, neutral, positive = 0, 0.0, 0, 0, 0
        for b in self._buckets:
            if begin <= b.start < end:
                count += b.count
                total += b.total
                negative += b.negative
                neutral += b.neutral
                positive += b.positive
        covered = end - max(begin, self._first) if self._first is not None else 0.0
        shares = (negative / count, neutral / count, positive / count) if count else (0.0, 0.0, 0.0)
        mean = total / count if count else 0.0
        stats = WindowStats(count, mean, *shares, seconds=max(0.0, min(seconds, covered)))
        if len(self._windows) >= 16:  # a quiet channel asks for new ends without new messages
            self._windows.clear()
        self._windows[(end, seconds)] = stats
        return stats

    def report(self, now: float) -> tuple[WindowStats, WindowStats]:
        """The reporting window and the one before it (for the trend)."""
        span = self.settings.report_window_s
        return self.window(now, span), self.window(now - span, span)

    def baseline(self, now: float) -> WindowStats:
        """The long window before the short one: what this channel's chat is normally like."""
        short = self.settings.short_window_s
        return self.window(now - short, self.settings.baseline_window_s - short)

    def hype(self, now: float) -> Hype:
        """Short-window message rate against the channel's baseline rate, and positivity."""
        short, base = self.window(now, self.settings.short_window_s), self.baseline(now)
        ratio = short.rate / base.rate if base.rate > 0 else 1.0
        return Hype(hype_level(ratio, short.positive, self.settings.hype_full_rate_ratio),
                    ratio, short.positive)

    def check_swing(self, now: float, alerts_enabled: bool) -> Swing | None:
        """A new swing of the short window away from the baseline, or None.

        After a swing the detector is disarmed until the mood settles within `rearm_band` of
        the baseline or `alert_cooldown_s` passes, so mood hovering at the threshold does not
        fire repeatedly. A swing inside the cooldown of the last sent alert, or while alerts
        are off, is returned as suppressed (sent=False) with the reason. Each call sums the
        windows' buckets: call it on a timer (about once a second), not per message.
        """
        s = self.settings
        short, base = self.window(now, s.short_window_s), self.baseline(now)
        if short.count < s.min_messages or base.count < s.min_messages:
            return None
        delta = short.mean - base.mean
        since_event = math.inf if self._last_event is None else now - self._last_event
        if not self._armed and (abs(delta) <= s.rearm_band or since_event >= s.alert_cooldown_s):
            self._armed = True
        if not self._armed or abs(delta) < s.swing_threshold:
            return None
        self._armed, self._last_event = False, now
        if not alerts_enabled:
            return Swing(now, base.mean, short.mean, sent=False, reason="alerts off")
        if self._last_sent is not None and now - self._last_sent < s.alert_cooldown_s:
            return Swing(now, base.mean, short.mean, sent=False, reason="cooldown")
        self._last_sent = now
        return Swing(now, base.mean, short.mean, sent=True)

    def _bucket_for(self, start: float) -> Bucket:
        for index, b in enumerate(self._buckets):
            if b.start == start:
                return b
            if b.start > start:
                bucket = Bucket(start)
                self._buckets.insert(index, bucket)
                return bucket
        raise AssertionError("unreachable: start is older than the newest bucket")

    def _forget(self, now: float) -> None:
        # Keep what the trend of the reporting window and the baseline both need.
        keep = max(self.settings.baseline_window_s, 2 * self.settings.report_window_s)
        while self._buckets and self._buckets[0].start < now - keep:
            self._buckets.popleft()
            self._windows.clear()
