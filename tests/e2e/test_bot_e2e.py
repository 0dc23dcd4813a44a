"""The real bot (twitchAPI Chat, ScoringService, Store) against the local Twitch-compatible server."""

from __future__ import annotations

import time

from bot.app import running_bot
from bot.store import Store
from commands import ReplyKind
from tests.e2e.botkit import CHANNEL, FAST_WATCHDOG, bot_config, reply_containing, say, until
from tests.helpers import KeywordPredictor


async def test_bot_joins_and_scored_messages_change_mood(server, tmp_path):
    config = bot_config(server, tmp_path)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL), what="join")
        await say(server, "viewer1", "!mood")
        assert "Not enough chat yet" in await reply_containing(server, "Not enough")
        for i in range(12):
            await say(server, f"viewer{i}", "good stream" if i % 4 else "just chatting")
        await until(lambda: bot.stats.scored == 12, what="12 scored")
        await say(server, "viewer1", "!mood")
        reply = await reply_containing(server, "Chat mood")
    assert reply.startswith("Chat mood: positive 😄 +0.64 | 75% positive, 25% neutral, 0% negative | 12 msgs")


async def test_ignored_users_commands_and_own_messages_are_not_counted(server, tmp_path):
    config = bot_config(server, tmp_path)
    predictor = KeywordPredictor()
    async with running_bot(config, predictor=predictor, watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL))
        await say(server, "Nightbot", "good good follow the streamer")
        await say(server, "StreamElements", "bad")
        await say(server, "viewer", "!hype")
        await say(server, server.bot_login, "good, said by the bot itself")
        await say(server, "viewer", "counted good message")
        await until(lambda: bot.stats.scored == 1)
        await reply_containing(server, "Hype")
    assert predictor.texts == ["counted good message"]
    async with Store(tmp_path / "mood.db") as store:
        assert await store.message_count(CHANNEL) == 1


async def feed_swing(server, bot, count_before: int) -> None:
    """Positive baseline a minute ago, then a burst of negative chat now."""
    past = time.time() - 60
    for i in range(10):
        await say(server, f"fan{i}", "good vibes", sent_at=past + i)
    for i in range(10):
        await say(server, f"hater{i}", "this is bad")
    await until(lambda: bot.stats.scored == count_before + 20, what="burst scored")


async def test_negative_burst_triggers_exactly_one_alert_within_cooldown(server, tmp_path):
    config = bot_config(server, tmp_path)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL))
        await feed_swing(server, bot, 0)
        alert = await reply_containing(server, "Mood swing:")
        for i in range(10):  # chat stays negative: no second alert
            await say(server, f"hater{i}", "still bad")
        await until(lambda: bot.stats.scored == 30)
        await _settle(2.5)
    assert alert == "Mood swing: chat went from +0.85 to -0.85 in the last 10 s"
    assert sum("Mood swing:" in t for t in server.sent_texts(CHANNEL)) == 1
    async with Store(tmp_path / "mood.db") as store:
        assert [a.sent for a in await store.alerts(CHANNEL)] == [True]


async def test_moderator_turns_alerts_off_and_on_and_a_viewer_cannot(server, tmp_path):
    config = bot_config(server, tmp_path)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL))
        await say(server, "mod_anna", "!sentiment off", mod=True)
        await reply_containing(server, "alerts are OFF")
        before = len(server.sent_texts(CHANNEL))
        await say(server, "viewer", "!sentiment on")
        await reply_containing(server, "Only moderators can use !sentiment", after=before)
        assert await bot.alerts_enabled(CHANNEL) is False

        await feed_swing(server, bot, 0)
        await _settle(2.0)
        assert not any("Mood swing:" in t for t in server.sent_texts(CHANNEL))

        before = len(server.sent_texts(CHANNEL))
        await say(server, CHANNEL, "!sentiment on", broadcaster=True)
        await reply_containing(server, "alerts are ON", after=before)
        assert await bot.alerts_enabled(CHANNEL) is True
    async with Store(tmp_path / "mood.db") as store:
        alerts = await store.alerts(CHANNEL)
        setting = await store.channel_setting(CHANNEL)
    assert [(a.sent, a.reason) for a in alerts] == [(False, "alerts off")]
    assert setting is not None and (setting.alerts_enabled, setting.changed_by) == (True, CHANNEL)


async def test_setting_and_stats_survive_a_restart(server, tmp_path):
    config = bot_config(server, tmp_path)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL))
        await say(server, "mod_anna", "!sentiment off", mod=True)
        for i in range(8):
            await say(server, f"viewer{i}", "bad take")
        await until(lambda: bot.stats.scored == 8)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL))
        assert bot.stats.scored == 0
        assert await bot.alerts_enabled(CHANNEL) is False
        before = len(server.sent_texts(CHANNEL))
        await say(server, "viewer", "!mood")
        reply = await reply_containing(server, "Chat mood", after=before)
    assert "negative 😠 -0.85" in reply and "| 8 msgs in 5 min" in reply


async def test_dropped_connection_reconnects_and_counting_continues(server, tmp_path):
    config = bot_config(server, tmp_path)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL))
        await say(server, "viewer", "good one")
        await until(lambda: bot.stats.scored == 1)
        assert server.drop_connections() == 1
        await until(lambda: server.connections >= 2 and server.joined(CHANNEL), what="rejoin")
        await say(server, "viewer", "good two")
        await until(lambda: bot.stats.scored == 2)


async def test_watchdog_rebuilds_a_connection_twitchapi_gave_up_on(server, tmp_path):
    config = bot_config(server, tmp_path)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL))
        server.refuse_connections = True
        server.drop_connections()
        await until(lambda: bot.stats.reconnects >= 1, timeout=15, what="watchdog attempt")
        server.refuse_connections = False
        await until(lambda: server.joined(CHANNEL), timeout=15, what="rejoin after watchdog")
        await say(server, "viewer", "good to be back")
        await until(lambda: bot.stats.scored == 1)


HOSTILE = [
    "x" * 500,
    "😂" * 250,
    "\u200b\u200c\u200d\ufeff",
    "ctrl \x00\x01\x07\x1b[31m chars",
    "\x01ACTION waves\x01",
    "@@@ ::: PRIVMSG #other :spoofed",
    "مرحبا \u202eRTL\u202c",
    " ",
]


async def test_hostile_chat_is_scored_without_crashing(server, tmp_path):
    config = bot_config(server, tmp_path)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL))
        for text in HOSTILE:
            await say(server, "troll", text)
        await say(server, "viewer", "good still alive")
        await until(lambda: bot.stats.scored >= len(HOSTILE) - 1, what="hostile lines scored")
        await say(server, "viewer", "!mood")
        await reply_containing(server, "Chat mood")


async def test_real_checkpoint_through_the_real_service(server, tmp_path, tiny_model_dir):
    config = bot_config(server, tmp_path)
    from dataclasses import replace

    config = replace(config, model=replace(config.model, path=str(tiny_model_dir)))
    async with running_bot(config, watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL))
        for i in range(6):
            await say(server, f"viewer{i}", f"message number {i} PogChamp")
        await until(lambda: bot.stats.scored == 6, timeout=30)
        await say(server, "viewer", "!mood")
        await reply_containing(server, "Chat mood")


async def test_an_edited_emote_csv_counts_in_the_running_bot_with_no_restart(server, tmp_path):
    """The shipped model reads an invented emote as neutral; the streamer adds one line to the
    file config.yaml names, and the same bot, still running, reads it as positive."""
    from dataclasses import replace

    emotes = tmp_path / "emotes.csv"
    emotes.write_text("token,sentiment\n", encoding="utf-8")
    config = bot_config(server, tmp_path)
    model = replace(config.model, emotes=str(emotes), emotes_check_s=0.5, backend="torch", precision="fp32")
    async with running_bot(replace(config, model=model), watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL))

        async def label_of_a_new_message() -> str:
            scored = bot.stats.scored
            await say(server, "viewer", "wub7FLIB wub7FLIB")
            await until(lambda: bot.stats.scored == scored + 1, timeout=30, what="the message scored")
            return bot.recent[CHANNEL][-1].label

        assert await label_of_a_new_message() == "neutral"
        emotes.write_text("token,sentiment\nwub7FLIB,0.9\n", encoding="utf-8")
        deadline = time.monotonic() + 10
        while (label := await label_of_a_new_message()) != "positive" and time.monotonic() < deadline:
            await _settle(0.5)
        assert label == "positive"


async def _settle(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_repeated_identical_reply_is_varied_so_twitch_does_not_drop_it(server, tmp_path):
    config = bot_config(server, tmp_path)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG):
        await until(lambda: server.joined(CHANNEL))
        for _ in range(3):
            await say(server, "viewer", "!hype")
        await until(lambda: len(server.sent_texts(CHANNEL)) == 3, what="three replies")
    first, second, third = server.sent_texts(CHANNEL)
    assert first == "Hype 0/100 (last 10 s) | rate 1.0x normal, 0% positive"
    # Twitch drops a message identical to the previous one: consecutive replies must differ
    assert first != second != third and second.startswith(first) and third.startswith(first)


async def test_replies_are_cut_to_500_characters(server, tmp_path):
    config = bot_config(server, tmp_path)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL))
        assert bot.say(CHANNEL, "y" * 800, ReplyKind.ALERT)
        await until(lambda: len(server.sent_texts(CHANNEL)) == 1)
    assert server.sent_texts(CHANNEL) == ["y" * 500]


async def test_command_cooldown_per_channel(server, tmp_path):
    config = bot_config(server, tmp_path, commands={"mood": {"cooldown_s": 10}, "hype": {"cooldown_s": 10}})
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG):
        await until(lambda: server.joined(CHANNEL))
        await say(server, "viewer1", "!hype")
        await reply_containing(server, "Hype")
        await say(server, "viewer2", "!hype")  # within 10 s: ignored
        await say(server, "viewer2", "!mood")  # another command has its own cooldown
        await reply_containing(server, "Not enough chat")
        await _settle(0.5)
    assert [t.split(" ")[0] for t in server.sent_texts(CHANNEL)] == ["Hype", "Not"]
