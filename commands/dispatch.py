"""One dispatcher for every chat command, on the bot's loop: it finds the command (name or alias),
applies the level and cooldowns the command declares (as config.yaml may change them per
channel), runs the handler, and says what to reply and how important that reply is."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from commands.base import BotView, Command, CommandSettings, Invocation, Level, ReplyKind

SettingsFor = Callable[[str, Command], CommandSettings]
_FORGET_AFTER_S = 86_400.0  # the longest cooldown allowed: older stamps can go
_PRUNE_AT = 10_000
# Chat clients add invisible characters (Chatterino and 7TV end a repeated message with a space
# and U+E0000): a command is read without format characters and tag characters.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\U000e0000-\U000e007f]")


@dataclass(frozen=True, slots=True)
class Chatter:
    """Who wrote a line: login and level (from the message's badges)."""

    name: str
    level: Level


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    kind: ReplyKind


class Dispatcher:
    """`await dispatch(channel, chatter, text, now, bot)` -> the reply to send, or None."""

    def __init__(self, commands: Sequence[Command], settings_for: SettingsFor, *, prefix: str,
                 refusal: str | None, refusal_cooldown_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.commands = tuple(commands)
        self.settings_for = settings_for
        self.prefix = prefix
        self.refusal = refusal  # a template with {who} and {command}; None: refuse silently
        self.refusal_cooldown_s = refusal_cooldown_s
        self.clock = clock
        self._names: dict[str, dict[str, Command]] = {}
        self._used: dict[tuple[str, str, str], float] = {}  # (channel, command, user or "") -> when
        self._prune_at = _PRUNE_AT

    def find(self, channel: str, text: str) -> tuple[Command, str] | None:
        """The enabled command a chat line calls, and its arguments."""
        text = _INVISIBLE.sub("", text)
        if not text.startswith(self.prefix):
            return None
        words = text[len(self.prefix):].split(None, 1)
        if not words:
            return None
        command = self._table(channel).get(words[0].lower())
        return None if command is None else (command, " ".join(words[1:]).strip())

    async def dispatch(self, channel: str, chatter: Chatter, text: str, now: float,
                       bot: BotView) -> Reply | None:
        found = self.find(channel, text)
        if found is None:
            return None
        command, args = found
        settings = self.settings_for(channel, command)
        required = Level.named(settings.level)
        if chatter.level < required:
            return self._refuse(channel, chatter, command, required)
        user = chatter.name.lower()
        if not (self._ready(channel, command.name, "", settings.cooldown_s)
                and self._ready(channel, command.name, user, settings.user_cooldown_s)):
            return None  # on cooldown: silent, as chat bots are
        stamp = self.clock()
        self._stamp((channel, command.name, ""), stamp)
        self._stamp((channel, command.name, user), stamp)
        answer = await command.handler(Invocation(channel, chatter.name, args, now), bot, settings)
        return Reply(answer, command.kind) if answer else None

    def _refuse(self, channel: str, chatter: Chatter, command: Command, required: Level) -> Reply | None:
        if self.refusal is None:
            return None
        key = (channel, "refusal", chatter.name.lower())
        if not self._ready(*key, self.refusal_cooldown_s):
            return None  # one refusal per user per cooldown; silent after that
        self._stamp(key, self.clock())
        return Reply(self.refusal.format(who=required.who, command=command.name, user=chatter.name),
                     ReplyKind.REFUSAL)

    def _ready(self, channel: str, command: str, user: str, cooldown_s: float) -> bool:
        last = self._used.get((channel, command, user))
        return last is None or self.clock() - last >= cooldown_s

    def _stamp(self, key: tuple[str, str, str], when: float) -> None:
        self._used[key] = when
        if len(self._used) > self._prune_at:
            self._used = {k: t for k, t in self._used.items() if when - t < _FORGET_AFTER_S}
            self._prune_at = max(_PRUNE_AT, 2 * len(self._used))  # amortised: not on every stamp

    def _table(self, channel: str) -> dict[str, Command]:
        table = self._names.get(channel)
        if table is None:
            table = {}
            for command in self.commands:
                settings = self.settings_for(channel, command)
                if settings.enabled:
                    for name in (command.name, *settings.aliases):
                        table.setdefault(name.lower().removeprefix(self.prefix), command)
            self._names[channel] = table
        return table
