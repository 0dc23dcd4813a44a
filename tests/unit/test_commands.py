"""Chat commands against a fake bot view: replies read like the config templates say."""

from __future__ import annotations

import pytest

from bot.config import MoodConfig
from commands import COMMANDS, Invocation, hype, mood, sentiment
from mood.tracker import MoodTracker

NOW = 10_000.0


class FakeBot:
    def __init__(self, settings: MoodConfig | None = None) -> None:
        self.mood = settings or MoodConfig()
        self.trackers: dict[str, MoodTracker] = {}
        self.enabled: dict[str, bool] = {}
        self.changes: list[tuple[str, bool, str]] = []

    def tracker(self, channel: str) -> MoodTracker:
        return self.trackers.setdefault(channel, MoodTracker(self.mood))

    def settings(self, channel: str) -> MoodConfig:
        return self.mood

    async def alerts_enabled(self, channel: str) -> bool:
        return self.enabled.get(channel, self.mood.alerts_enabled)

    async def set_alerts_enabled(self, channel: str, enabled: bool, changed_by: str) -> None:
        self.enabled[channel] = enabled
        self.changes.append((channel, enabled, changed_by))


def call(args: str = "", user: str = "viewer") -> Invocation:
    return Invocation(channel="chan", user=user, args=args, now=NOW)


def feed(bot: FakeBot, start: float, count: int, value: float, label: str, spacing: float = 1.0) -> None:
    for i in range(count):
        bot.tracker("chan").add(start + i * spacing, value, label)


def test_commands_are_registered_once_each():
    assert [c.name for c in COMMANDS] == ["mood", "hype", "sentiment"]
    assert [c.moderators_only for c in COMMANDS] == [False, False, True]


async def test_mood_says_so_when_there_are_too_few_messages():
    bot = FakeBot()
    feed(bot, NOW - 30, 3, 0.9, "positive")
    assert await mood.handle(call(), bot) == "Not enough chat yet to read the mood (3/10 messages)."


async def test_mood_reports_word_value_shares_count_and_trend():
    bot = FakeBot()
    feed(bot, NOW - 600, 20, -0.2, "negative", spacing=10)  # the 5 minutes before
    feed(bot, NOW - 290, 15, 0.8, "positive", spacing=10)
    feed(bot, NOW - 140, 5, 0.0, "neutral", spacing=10)
    reply = await mood.handle(call(), bot)
    assert reply == ("Chat mood: positive 😄 +0.60 | 75% positive, 25% neutral, 0% negative | "
                     "20 msgs in 5 min | up +0.80 vs the 5 min before")


async def test_mood_trend_without_earlier_chat_says_so():
    bot = FakeBot()
    feed(bot, NOW - 100, 12, -0.5, "negative")
    reply = await mood.handle(call(), bot)
    assert "negative 😠 -0.50" in reply and "no earlier 5 min to compare" in reply


def test_mood_word_thresholds():
    assert mood.mood_word(0.15)[0] == "positive"
    assert mood.mood_word(0.1)[0] == "neutral"
    assert mood.mood_word(-0.2)[0] == "negative"


async def test_hype_shows_level_and_its_parts():
    bot = FakeBot()
    feed(bot, NOW - 900, 84, 0.0, "neutral", spacing=10)  # 0.1 msg/s normally
    feed(bot, NOW - 60, 30, 0.9, "positive", spacing=1)  # 0.5 msg/s now, all positive
    feed(bot, NOW - 30, 10, 0.0, "neutral", spacing=1)
    reply = await hype.handle(call(), bot)
    # 40 msgs in 60 s against 84 in 840 s: 6.7x; 60 points (>= 4x) + 0.75 * 40
    assert reply == "Hype 90/100 | rate 6.7x normal, 75% positive"


@pytest.mark.parametrize("argument,enabled,reply", [
    ("off", False, "Mood swing alerts are OFF for this channel."),
    ("ON", True, "Mood swing alerts are ON for this channel."),
])
async def test_moderator_switches_alerts(argument, enabled, reply):
    bot = FakeBot()
    assert await sentiment.handle(call(argument, user="mod_anna"), bot) == reply
    assert bot.changes == [("chan", enabled, "mod_anna")]


async def test_sentiment_alone_reports_the_state_without_changing_it():
    bot = FakeBot()
    bot.enabled["chan"] = False
    assert await sentiment.handle(call(""), bot) == "Mood swing alerts are OFF for this channel."
    assert bot.changes == []


async def test_sentiment_bad_argument_gets_the_usage():
    bot = FakeBot()
    assert await sentiment.handle(call("maybe"), bot) == bot.mood.replies.sentiment_usage
    assert bot.changes == []
