"""twitchAPI command middleware: moderator-only commands and per-channel cooldowns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from twitchAPI.chat import ChatCommand
from twitchAPI.chat.middleware import BaseCommandMiddleware


def is_moderator(command: ChatCommand) -> bool:
    """A moderator or the broadcaster of the channel the command was used in."""
    user = command.user
    badges = user.badges or {}
    room = command.room.name if command.room is not None else None
    return bool(user.mod or "broadcaster" in badges or (room and user.name.lower() == room.lower()))


class ModeratorsOnly(BaseCommandMiddleware):
    """Only moderators and the broadcaster may run the command; others get `on_refused`."""

    def __init__(self, on_refused: Callable[[ChatCommand], Awaitable[None]] | None = None) -> None:
        self.execute_blocked_handler = on_refused

    async def can_execute(self, command: ChatCommand) -> bool:
        return is_moderator(command)

    async def was_executed(self, command: ChatCommand) -> None:
        return None


class ChannelCooldown(BaseCommandMiddleware):
    """One use of a command per channel per cooldown (the cooldown may differ per channel).

    twitchAPI's ChannelCommandCooldown keeps its timestamps on the class, shared by every bot
    in the process, and has one cooldown for all channels; this keeps them per instance.
    """

    def __init__(self, cooldown_for: Callable[[str], float]) -> None:
        self.cooldown_for = cooldown_for
        self.execute_blocked_handler = None
        self._last: dict[tuple[str, str], datetime] = {}

    async def can_execute(self, command: ChatCommand) -> bool:
        channel = command.room.name if command.room is not None else ""
        last = self._last.get((command.name, channel))
        return last is None or (datetime.now() - last).total_seconds() >= self.cooldown_for(channel)

    async def was_executed(self, command: ChatCommand) -> None:
        channel = command.room.name if command.room is not None else ""
        self._last[(command.name, channel)] = datetime.now()
