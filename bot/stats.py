"""What the bot counts: totals, each channel's share (for /metrics and the dashboard), and the
last few scored messages a dashboard shows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class BotStats:
    """What the bot has done since it started. Every received line is skipped (a command, a bot,
    another channel), scored, dropped (scoring queue full, or unscored at shutdown) or pending."""

    received: int = 0
    skipped: int = 0
    scored: int = 0
    dropped: int = 0
    written: int = 0
    replies: int = 0
    alerts: int = 0
    reconnects: int = 0
    bad_lines: int = 0


@dataclass
class ChannelStats:
    """One channel's share of BotStats, for /metrics and the dashboard."""

    received: int = 0
    counted: int = 0
    dropped: int = 0
    alerts: int = 0


@dataclass(frozen=True, slots=True)
class RecentMessage:
    """A scored chat message, kept (a few per channel) for the dashboard."""

    at: float
    user: str
    text: str
    label: str
    value: float
