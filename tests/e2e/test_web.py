"""The web side of `run`: the JSON API, the overlay key, /metrics, and a port in use."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.app import running_bot
from tests.e2e.botkit import CHANNEL, FAST_WATCHDOG, bot_config, say, until
from tests.helpers import KeywordPredictor

HOSTILE = '<img src=x onerror=alert(1)> <script>window.pwned=1</script> "><b>bold</b>'


async def get(url: str) -> tuple[int, str, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text(), dict(response.headers)


async def test_api_serves_the_tracker_numbers_and_history_with_chat_text_as_data(server, tmp_path):
    config = bot_config(server, tmp_path)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL), what="join")
        assert bot.web is not None and bot.web.url
        for i in range(6):
            await say(server, f"viewer{i}", "good stream" if i % 2 else "bad take")
        await say(server, "hostile", HOSTILE)
        await until(lambda: bot.stats.scored == 7, what="scoring")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{bot.web.url}api/channels") as response:
                overview = await response.json()
            async with session.get(f"{bot.web.url}api/channels/{CHANNEL}") as response:
                detail = await response.json()
            async with session.get(f"{bot.web.url}api/channels/nobody") as response:
                assert response.status == 404
        [live] = overview["channels"]
        current, _ = bot.tracker(CHANNEL).report(live["at"])
        assert live["channel"] == CHANNEL and live["mood"]["count"] == current.count == 7
        assert abs(live["mood"]["value"] - current.mean) < 1e-3 and live["mood"]["enough"]
        assert 0 <= live["hype"]["level"] <= 100 and live["alerts_enabled"] is True
        assert sum(minute["count"] for minute in detail["history"]) == 7  # pending minutes included
        assert detail["recent"][0]["text"] == HOSTILE  # data for the page, which shows it as text
        status, _, headers = await get(bot.web.url)
        assert status == 200 and "script-src 'self'" in headers["Content-Security-Policy"]


async def test_overlay_needs_the_key_and_a_rotated_key_closes_old_urls(server, tmp_path):
    config = bot_config(server, tmp_path)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        assert bot.web is not None
        key = bot.web.key.current()
        overlay = f"{bot.web.url}overlay/{CHANNEL}"
        assert (await get(overlay))[0] == 403
        assert (await get(f"{overlay}?key=wrong"))[0] == 403
        assert (await get(f"{overlay}?key={key}"))[0] == 200
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(f"{bot.web.url}ws/{CHANNEL}?key={key}") as ws:
            first = await ws.receive_json(timeout=5)
            assert first["type"] == "snapshot" and first["channel"] == CHANNEL
            new_key = bot.web.key.rotate()
            while not ws.closed:
                message = await ws.receive(timeout=5)
                if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    break
            assert ws.close_code == 4003
        assert (await get(f"{overlay}?key={key}"))[0] == 403
        assert (await get(f"{overlay}?key={new_key}"))[0] == 200
        assert oct((tmp_path / "overlay.key").stat().st_mode & 0o777) == "0o600"


async def test_metrics_parse_and_match_the_bots_counts(server, tmp_path):
    config = bot_config(server, tmp_path)
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
        await until(lambda: server.joined(CHANNEL), what="join")
        assert bot.web is not None
        await server_replay(server, [(f"v{i}", f"message {i} good") for i in range(40)])
        await say(server, "viewer", "!hype")
        await until(lambda: bot.stats.scored == 40 and bot.stats.replies == 1, what="scoring and a reply")
        await until(lambda: bot.stats.written == 40, what="the flush")
        status, text, headers = await get(f"{bot.web.url}metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for family in text_string_to_metric_families(text) for s in family.samples}
        stats = bot.stats
    channel = (("channel", CHANNEL),)
    assert samples[("twitch_mood_messages_received_total", channel)] == stats.received == 41
    assert samples[("twitch_mood_messages_counted_total", channel)] == stats.scored == 40
    assert samples[("twitch_mood_messages_dropped_total", channel)] == stats.dropped == 0
    assert samples[("twitch_mood_messages_sent_total", (("kind", "hype"),))] == stats.replies == 1
    assert samples[("twitch_mood_reconnects_total", ())] == 0
    assert samples[("twitch_mood_scoring_latency_seconds_count", ())] == 40
    assert samples[("twitch_mood_scoring_batch_size_sum", ())] == 40
    assert samples[("twitch_mood_sqlite_flush_seconds_count", ())] >= 1
    assert ("twitch_mood_scoring_queue_depth", ()) in samples


async def server_replay(server, lines) -> None:
    await asyncio.wrap_future(server.replay(CHANNEL, lines, rate=500))


async def test_a_port_in_use_is_one_line_and_the_bot_runs_on(server, tmp_path, caplog):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = bot_config(server, tmp_path)
        config = dataclasses.replace(config, web=dataclasses.replace(config.web, port=port))
        with caplog.at_level(logging.ERROR, logger="twitch_mood.web"):
            async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG) as bot:
                await until(lambda: server.joined(CHANNEL), what="join")
                await say(server, "viewer", "good")
                await until(lambda: bot.stats.scored == 1, what="scoring without the web")
    [error] = [r.getMessage() for r in caplog.records if r.name == "twitch_mood.web"]
    assert f"web.port {port}" in error and "in use" in error and "\n" not in error
