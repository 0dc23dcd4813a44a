"""`!sentiment on|off`: moderators switch this channel's swing alerts; `!sentiment` shows the state."""

from __future__ import annotations

from commands.base import BotView, Command, Invocation

SWITCHES = {"on": True, "off": False}


async def handle(call: Invocation, bot: BotView) -> str:
    replies = bot.settings(call.channel).replies
    argument = call.args.strip().lower()
    if argument and argument not in SWITCHES:
        return replies.sentiment_usage
    if argument:
        await bot.set_alerts_enabled(call.channel, SWITCHES[argument], changed_by=call.user)
        enabled = SWITCHES[argument]
    else:
        enabled = await bot.alerts_enabled(call.channel)
    return replies.sentiment_on if enabled else replies.sentiment_off


COMMAND = Command("sentiment", handle, moderators_only=True)
