"""Chat commands against a fake bot view: replies read like their templates say; the dispatcher
applies levels, cooldowns, aliases and refusals as the commands declare them."""

from __future__ import annotations

import pytest

from bot.config import CommandsConfig, MoodConfig
from commands import COMMANDS, Chatter, Dispatcher, Invocation, Level, ReplyKind, hype, mood, sentiment
from commands.hype import HypeSettings
from commands.mood import MoodSettings
from commands.sentiment import SentimentSettings
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


def test_commands_are_registered_once_each_and_configurable():
    assert [c.name for c in COMMANDS] == ["mood", "hype", "sentiment"]
    assert [c.settings().level for c in COMMANDS] == ["everyone", "everyone", "moderator"]
    config = CommandsConfig()
    assert all(isinstance(config.of(c), c.settings) for c in COMMANDS)


async def test_mood_says_so_when_there_are_too_few_messages():
    bot = FakeBot()
    feed(bot, NOW - 30, 3, 0.9, "positive")
    assert await mood.handle(call(), bot, MoodSettings()) == "Not enough chat yet to read the mood (3/10 messages)."


async def test_mood_reports_word_value_shares_count_and_trend():
    bot = FakeBot()
    feed(bot, NOW - 600, 20, -0.2, "negative", spacing=10)  # the 5 minutes before
    feed(bot, NOW - 290, 15, 0.8, "positive", spacing=10)
    feed(bot, NOW - 140, 5, 0.0, "neutral", spacing=10)
    reply = await mood.handle(call(), bot, MoodSettings())
    assert reply == ("Chat mood: positive 😄 +0.60 | 75% positive, 25% neutral, 0% negative | "
                     "20 msgs in 5 min | up +0.80 vs the 5 min before")


async def test_mood_trend_without_earlier_chat_says_so():
    bot = FakeBot()
    feed(bot, NOW - 100, 12, -0.5, "negative")
    reply = await mood.handle(call(), bot, MoodSettings())
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
    reply = await hype.handle(call(), bot, HypeSettings())
    # 40 msgs in 60 s against 84 in 840 s: 6.7x; 60 points (>= 4x) + 0.75 * 40
    assert reply == "Hype 90/100 (last 60 s) | rate 6.7x normal, 75% positive"


@pytest.mark.parametrize("argument,enabled,reply", [
    ("off", False, "Mood swing alerts are OFF for this channel."),
    ("ON", True, "Mood swing alerts are ON for this channel."),
])
async def test_moderator_switches_alerts(argument, enabled, reply):
    bot = FakeBot()
    assert await sentiment.handle(call(argument, user="mod_anna"), bot, SentimentSettings()) == reply
    assert bot.changes == [("chan", enabled, "mod_anna")]


async def test_sentiment_alone_reports_the_state_without_changing_it():
    bot = FakeBot()
    bot.enabled["chan"] = False
    assert await sentiment.handle(call(""), bot, SentimentSettings()) == "Mood swing alerts are OFF for this channel."
    assert bot.changes == []


async def test_sentiment_bad_argument_gets_the_usage():
    bot = FakeBot()
    assert await sentiment.handle(call("maybe"), bot, SentimentSettings()) == SentimentSettings().reply_usage
    assert bot.changes == []


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def dispatcher(config: CommandsConfig | None = None, refusal: str | None = "Only {who} can use !{command}.",
               clock: Clock | None = None) -> Dispatcher:
    settings = config or CommandsConfig()
    return Dispatcher(COMMANDS, lambda channel, command: settings.of(command), prefix="!", refusal=refusal,
                      refusal_cooldown_s=30, clock=clock or Clock())


VIEWER, SUB, VIP, MOD, OWNER = (Chatter(n, lvl) for n, lvl in (
    ("viewer", Level.EVERYONE), ("sub", Level.SUBSCRIBER), ("vip", Level.VIP), ("mod", Level.MODERATOR),
    ("chan", Level.BROADCASTER)))


async def test_level_is_applied_and_a_refusal_names_who_may():
    bot, commands = FakeBot(), dispatcher()
    refusal = await commands.dispatch("chan", VIEWER, "!sentiment off", NOW, bot)
    assert refusal is not None and refusal.kind == ReplyKind.REFUSAL
    assert refusal.text == "Only moderators can use !sentiment."
    for chatter in (MOD, OWNER):
        reply = await commands.dispatch("chan", chatter, "!sentiment off", NOW, bot)
        assert reply is not None and reply.kind == ReplyKind.CONFIRMATION
    assert [c[2] for c in bot.changes] == ["mod", "chan"]


async def test_refusals_are_rate_limited_per_user_then_silent():
    clock = Clock()
    bot, commands = FakeBot(), dispatcher(clock=clock)
    replies = [await commands.dispatch("chan", VIEWER, "!sentiment off", NOW, bot) for _ in range(5)]
    assert [r is not None for r in replies] == [True, False, False, False, False]
    assert await commands.dispatch("chan", Chatter("other", Level.EVERYONE), "!sentiment", NOW, bot) is not None
    clock.now += 30
    assert await commands.dispatch("chan", VIEWER, "!sentiment off", NOW, bot) is not None
    assert bot.changes == []


async def test_silent_refusal_setting_sends_nothing():
    assert await dispatcher(refusal=None).dispatch("chan", VIEWER, "!sentiment off", NOW, FakeBot()) is None


async def test_channel_and_user_cooldowns():
    clock = Clock()
    config = CommandsConfig(hype=HypeSettings(cooldown_s=10, user_cooldown_s=60))
    bot, commands = FakeBot(), dispatcher(config, clock=clock)
    assert await commands.dispatch("chan", VIEWER, "!hype", NOW, bot) is not None
    assert await commands.dispatch("chan", SUB, "!hype", NOW, bot) is None  # channel cooldown
    assert await commands.dispatch("chan", SUB, "!mood", NOW, bot) is not None  # its own cooldown
    clock.now = 11
    assert await commands.dispatch("chan", VIEWER, "!hype", NOW, bot) is None  # user cooldown
    assert await commands.dispatch("chan", SUB, "!hype", NOW, bot) is not None


async def test_aliases_disabled_commands_and_levels_from_config():
    config = CommandsConfig(mood=MoodSettings(aliases=("vibe", "!Feels")), hype=HypeSettings(enabled=False),
                            sentiment=SentimentSettings(level="vip"))
    bot, commands = FakeBot(), dispatcher(config)
    vibe = await commands.dispatch("chan", VIEWER, "!vibe", NOW, bot)
    assert vibe is not None and vibe.kind == ReplyKind.MOOD and "Not enough chat" in vibe.text
    assert commands.find("chan", "!FEELS now") == (COMMANDS[0], "now")
    assert await commands.dispatch("chan", VIEWER, "!hype", NOW, bot) is None
    allowed = await commands.dispatch("chan", VIP, "!sentiment", NOW, bot)
    refused = await commands.dispatch("chan", SUB, "!sentiment", NOW, bot)
    assert allowed is not None and allowed.kind == ReplyKind.CONFIRMATION
    assert refused is not None and refused.text == "Only VIPs can use !sentiment."


async def test_not_a_command_or_unknown_command_gets_nothing():
    bot, commands = FakeBot(), dispatcher()
    for text in ("mood please", "!", "!unknown", "!moodx"):
        assert await commands.dispatch("chan", MOD, text, NOW, bot) is None


async def test_invisible_characters_and_tabs_from_chat_clients_do_not_change_a_command():
    bot, commands = FakeBot(), dispatcher()
    for text in ("!sentiment off \U000e0000", "!sentiment\toff", "!sentiment \u200boff", "!SENTIMENT OFF now"):
        reply = await commands.dispatch("chan", MOD, text, NOW, bot)
        assert reply is not None and reply.text == "Mood swing alerts are OFF for this channel.", text
    assert len(bot.changes) == 4
