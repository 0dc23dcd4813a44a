"""`twitch-mood run`: wire config, model, scoring service, store and chat; run until stopped."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bot.auth import authenticated_client
from bot.chatbot import MoodBot, Watchdog
from bot.config import Config, ConfigError
from bot.store import Store
from model.service import Predictor, ScoringService

log = logging.getLogger("twitch_mood")


@asynccontextmanager
async def running_bot(config: Config, *, predictor: Predictor | None = None, watchdog: Watchdog | None = None,
                      on_send: Callable[[str, str], None] | None = None) -> AsyncIterator[MoodBot]:
    """A started bot; on exit: chat closed, scoring drained, statistics flushed, store closed."""
    if not config.channels:
        raise ConfigError(f"{config.source}: channels: is empty; list the channels the bot should join")
    loop = asyncio.get_running_loop()
    twitch = await authenticated_client(config)  # first: a missing login fails fast
    try:
        if predictor is None:  # loading takes seconds: keep the loop free
            from model.scorer import Scorer  # torch: imported only when a real model is needed

            scorer: Predictor = await loop.run_in_executor(None, Scorer.from_settings, config.model)
        else:
            scorer = predictor
        settings = config.model
        service = ScoringService(scorer, max_batch=settings.max_batch, max_wait_ms=settings.max_wait_ms,
                                 queue_size=settings.queue_size, overload=settings.overload)
        async with service, Store(config.storage.path, keep_messages=config.storage.keep_messages) as store:
            bot = MoodBot(config, service, store, twitch, watchdog=watchdog, on_send=on_send)
            await bot.start()
            try:
                yield bot
            finally:
                await bot.close()
    finally:
        await twitch.close()


async def run_until_signal(config: Config) -> None:
    """Run the bot until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_bot(config) as bot:
        log.info("running in %s; stop with Ctrl+C", ", ".join(f"#{c.name}" for c in config.channels))
        await stop.wait()
        log.info("stopping: closing chat, scoring what arrived, writing statistics")
    log.info("stopped: %d messages scored, %d dropped, %d replies, %d alerts", bot.stats.scored,
             bot.stats.dropped, bot.stats.replies, bot.stats.alerts)
