"""`!sentiment on|off`: moderators switch this channel's swing alerts; `!sentiment` shows the state."""

from __future__ import annotations

from dataclasses import dataclass

from commands.base import BotView, Command, CommandSettings, Invocation, LevelName, ReplyKind
from mood.fields import setting

SWITCHES = {"on": True, "off": False}


@dataclass(frozen=True)
class SentimentSettings(CommandSettings):
    level: LevelName = "moderator"
    cooldown_s: float = setting(0.0, lo=0, hi=3600)  # a moderator's switch is always confirmed
    reply_on: str = "Mood swing alerts are ON for this channel."
    reply_off: str = "Mood swing alerts are OFF for this channel."
    reply_usage: str = "Usage: !sentiment on|off (moderators), !sentiment to see the state."


async def handle(call: Invocation, bot: BotView, settings: SentimentSettings) -> str:
    words = call.args.lower().split()
    argument = words[0] if words else ""
    if argument and argument not in SWITCHES:
        return settings.reply_usage
    if argument:
        await bot.set_alerts_enabled(call.channel, SWITCHES[argument], changed_by=call.user)
        enabled = SWITCHES[argument]
    else:
        enabled = await bot.alerts_enabled(call.channel)
    return settings.reply_on if enabled else settings.reply_off


COMMAND = Command("sentiment", handle, SentimentSettings, ReplyKind.CONFIRMATION)
