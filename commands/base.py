"""What a chat command sees: who asked, where, with which arguments, and a small view of the bot.

Commands never touch the network or the database directly; they read the channel's
`MoodTracker` and settings and change settings through `BotView`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.config import MoodConfig
from mood.tracker import MoodTracker


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

    def settings(self, channel: str) -> MoodConfig: ...

    async def alerts_enabled(self, channel: str) -> bool: ...

    async def set_alerts_enabled(self, channel: str, enabled: bool, changed_by: str) -> None: ...


Handler = Callable[[Invocation, BotView], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class Command:
    """A chat command: its name (without prefix), handler, and who may use it.

    The per-channel cooldown is `mood.command_cooldown_s` from config (one home for it).
    """

    name: str
    handler: Handler
    moderators_only: bool = False
