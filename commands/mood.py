"""`!mood`: the reporting window's mood, its label shares, message count and trend."""

from __future__ import annotations

from dataclasses import dataclass

from commands.base import BotView, Command, CommandSettings, Invocation, ReplyKind
from mood.fields import template

# Mean value at or beyond which the window is called positive / negative.
LEANING = 0.15
WORDS = {"positive": ("positive", "😄"), "neutral": ("neutral", "😐"), "negative": ("negative", "😠")}
STEADY = 0.05  # a change of the mean smaller than this is "steady"


def mood_word(value: float) -> tuple[str, str]:
    """The word and emoji for a mean value in [-1, 1]."""
    if value >= LEANING:
        return WORDS["positive"]
    if value <= -LEANING:
        return WORDS["negative"]
    return WORDS["neutral"]


def trend_text(current: float, previous: float | None, minutes: str) -> str:
    if previous is None:
        return f"no earlier {minutes} min to compare"
    change = current - previous
    if abs(change) < STEADY:
        return f"steady vs the {minutes} min before"
    direction = "up" if change > 0 else "down"
    return f"{direction} {change:+.2f} vs the {minutes} min before"


@dataclass(frozen=True)
class MoodSettings(CommandSettings):
    reply: str = template(
        "Chat mood: {word} {emoji} {value:+.2f} | {positive:.0%} positive, {neutral:.0%} neutral, "
        "{negative:.0%} negative | {count} msgs in {minutes} min | {trend}",
        word="positive", emoji="😄", value=0.5, positive=0.5, neutral=0.3, negative=0.2, count=42,
        minutes="5", trend="steady vs the 5 min before",
    )
    reply_too_few: str = template("Not enough chat yet to read the mood ({count}/{min_messages} messages).",
                                  count=3, min_messages=10)


def format_minutes(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:.0f}" if minutes == int(minutes) else f"{minutes:.1f}"


async def handle(call: Invocation, bot: BotView, settings: MoodSettings) -> str:
    tracker = bot.tracker(call.channel)
    windows = tracker.settings
    current, previous = tracker.report(call.now)
    if current.count < windows.min_messages:
        return settings.reply_too_few.format(count=current.count, min_messages=windows.min_messages)
    minutes = format_minutes(windows.report_window_s)
    word, emoji = mood_word(current.mean)
    before = previous.mean if previous.count >= windows.min_messages else None
    return settings.reply.format(word=word, emoji=emoji, value=current.mean, positive=current.positive,
                                 neutral=current.neutral, negative=current.negative, count=current.count,
                                 minutes=minutes, trend=trend_text(current.mean, before, minutes))


COMMAND = Command("mood", handle, MoodSettings, ReplyKind.MOOD)
