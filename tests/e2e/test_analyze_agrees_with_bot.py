"""A stream replayed into the running bot and the offline analysis of its log find the same swings.

The fixture (tests/fixtures/swing_replay.csv, 26 s of chat at 8 msg/s: real chat lines, a burst of
'bad' chat, recovery, a burst of 'good' chat) is played in real time through the local Twitch
server with each message's timestamp, so the bot's one-second timer sees what the analysis
replays. The bot's ticks fall at arbitrary fractions of a second, so a swing may be found up to
a second apart; whether it was announced, and why not, must match exactly.
"""

from __future__ import annotations

import asyncio
import time

from analysis.analyze import analyze
from analysis.chatlog import LogMessage, read_chat_log
from bot.app import running_bot
from bot.store import Store
from localtwitch.server import LocalTwitchServer
from tests.e2e.botkit import CHANNEL, FAST_WATCHDOG, bot_config, until
from tests.helpers import SWING_LOG, KeywordPredictor

REPLAY_MOOD = {"short_window_s": 5, "report_window_s": 60, "baseline_window_s": 60, "min_messages": 20,
               "rearm_band": 0.25, "alert_cooldown_s": 30, "swing_threshold": 0.35}


def play(server: LocalTwitchServer, messages: list[LogMessage], start: float) -> None:
    """Send each message at start + offset, stamped with that time (runs in a worker thread)."""
    for message in messages:
        delay = start + message.offset - time.time()
        if delay > 0:
            time.sleep(delay)
        server.say(CHANNEL, message.user, message.text, sent_at=start + message.offset)



async def test_replayed_stream_alerts_and_offline_analysis_agree(server, tmp_path):
    log = read_chat_log(SWING_LOG)
    config = bot_config(server, tmp_path, **REPLAY_MOOD)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL), what="join")
        start = time.time() + 0.5
        await asyncio.get_running_loop().run_in_executor(None, play, server, log.messages, start)
        await until(lambda: bot.stats.scored == len(log.messages), what="every message scored")
        await asyncio.sleep(1.1)  # the timer tick after the last message
    async with Store(tmp_path / "mood.db") as store:
        end = log.messages[-1].offset + 1
        live = [s for s in await store.alerts(CHANNEL) if s.at - start <= end]

    offline = (await analyze(log, KeywordPredictor(), mood=config.channels[0].mood, chat=config.chat)).swings

    assert [(s.sent, s.reason) for s in offline] == [(True, ""), (False, "cooldown")]
    assert [(s.sent, s.reason) for s in live] == [(s.sent, s.reason) for s in offline]
    for bot_swing, found in zip(live, offline, strict=True):
        assert abs((bot_swing.at - start) - found.at) <= 1.5
        assert (bot_swing.after < bot_swing.before) == (found.after < found.before)
    sent = [t for t in server.sent_texts(CHANNEL) if t.startswith("Mood swing")]
    assert len(sent) == 1  # the bot announced the first swing in chat and kept the second quiet
