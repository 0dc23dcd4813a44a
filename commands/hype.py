"""`!hype`: 0-100 from the short window's message rate against the channel's normal rate and its
positive share (the formula is `mood.tracker.hype_level`)."""

from __future__ import annotations

from dataclasses import dataclass

from commands.base import BotView, Command, CommandSettings, Invocation, ReplyKind, window_text
from mood.fields import template


@dataclass(frozen=True)
class HypeSettings(CommandSettings):
    reply: str = template("Hype {level}/100 (last {window}) | rate {rate_ratio:.1f}x normal, "
                          "{positive:.0%} positive", level=50, window="60 s", rate_ratio=1.5, positive=0.5)


async def handle(call: Invocation, bot: BotView, settings: HypeSettings) -> str:
    tracker = bot.tracker(call.channel)
    hype = tracker.hype(call.now)
    return settings.reply.format(level=hype.level, window=window_text(tracker.settings.short_window_s),
                                 rate_ratio=hype.rate_ratio, positive=hype.positive)


COMMAND = Command("hype", handle, HypeSettings, ReplyKind.HYPE)
