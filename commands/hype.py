"""`!hype`: 0-100 from the short window's message rate against the channel's normal rate and its
positive share (the formula is `mood.tracker.hype_level`)."""

from __future__ import annotations

from commands.base import BotView, Command, Invocation


async def handle(call: Invocation, bot: BotView) -> str:
    hype = bot.tracker(call.channel).hype(call.now)
    return bot.settings(call.channel).replies.hype.format(
        level=hype.level, rate_ratio=hype.rate_ratio, positive=hype.positive)


COMMAND = Command("hype", handle)
