"""What a chat command is: a handler with its settings declared next to it (who may use it, its
cooldowns, its reply templates), and the small view of the bot it may use.

Commands never touch the network or the database; they read the channel's `MoodTracker` and
change settings through `BotView`. One dispatcher (commands/dispatch.py) applies the declared
level and cooldowns on the bot's loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal, Protocol

from mood.fields import setting
from mood.tracker import MoodTracker

LevelName = Literal["everyone", "subscriber", "vip", "moderator", "broadcaster"]


class Level(IntEnum):
    """Who may use a command, lowest first (as Nightbot, StreamElements and Fossabot rank them)."""

    EVERYONE = 0
    SUBSCRIBER = 1
    VIP = 2
    MODERATOR = 3
    BROADCASTER = 4

    @classmethod
    def named(cls, name: str) -> Level:
        return cls[name.upper()]

    @property
    def who(self) -> str:
        """The people at this level and above, for a refusal."""
        return {Level.EVERYONE: "everyone", Level.SUBSCRIBER: "subscribers", Level.VIP: "VIPs",
                Level.MODERATOR: "moderators", Level.BROADCASTER: "the broadcaster"}[self]


class ReplyKind(IntEnum):
    """What a reply is; when the outgoing queue is full the lowest kind is dropped first.
    Confirmations and alerts are never dropped."""

    REFUSAL = 0
    HYPE = 1
    MOOD = 2
    CONFIRMATION = 3
    ALERT = 4

    @property
    def droppable(self) -> bool:
        return self < ReplyKind.CONFIRMATION


@dataclass(frozen=True)
class CommandSettings:
    """What `commands.<name>` in config.yaml may change; each command's subclass declares its
    own defaults and reply templates. A channel may override any of them."""

    enabled: bool = True
    aliases: tuple[str, ...] = ()  # other names, e.g. [vibe] for !mood
    level: LevelName = "everyone"
    cooldown_s: float = setting(10.0, lo=0, hi=3600)  # per channel
    user_cooldown_s: float = setting(0.0, lo=0, hi=86_400)  # per user in a channel


@dataclass(frozen=True, slots=True)
class Invocation:
    """One use of a command in chat."""

    channel: str
    user: str
    args: str
    now: float


class BotView(Protocol):
    """The part of the bot a command may use."""

    def tracker(self, channel: str) -> MoodTracker: ...

    async def alerts_enabled(self, channel: str) -> bool: ...

    async def set_alerts_enabled(self, channel: str, enabled: bool, changed_by: str) -> None: ...


Handler = Callable[[Invocation, BotView, Any], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class Command:
    """A chat command: its name (without prefix), its handler (called with the invocation, the
    bot view and the channel's settings for it), its settings class and what its reply is."""

    name: str
    handler: Handler
    settings: type[CommandSettings]
    kind: ReplyKind


def window_text(seconds: float) -> str:
    """'60 s', '5 min', '1.5 min': how a reply names a window."""
    if seconds < 120:
        return f"{seconds:g} s"
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes == int(minutes) else f"{minutes:.1f} min"
