"""`twitch-mood run`: wire config, model, scoring service, store and chat; run until stopped."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

from bot.auth import authenticated_client
from bot.chatbot import MoodBot
from bot.config import Config, ConfigError
from bot.connection import Watchdog
from bot.emotes import EmoteReloader
from bot.sender import SendLimits
from bot.store import Store
from model.service import Predictor, ScoringService

log = logging.getLogger("twitch_mood")


@asynccontextmanager
async def running_bot(config: Config, *, predictor: Predictor | None = None, watchdog: Watchdog | None = None,
                      on_send: Callable[[str, str], None] | None = None,
                      limits: SendLimits | None = None) -> AsyncIterator[MoodBot]:
    """A started bot. Opened in the order that fails fastest (database, login, then the model);
    closed in reverse: chat intake, scoring drained, statistics written, store closed."""
    if not config.channels:
        raise ConfigError(f"{config.source}: channels: is empty; list the channels the bot should join")
    loop = asyncio.get_running_loop()
    reloader: EmoteReloader | None = None  # only where a streamer's emote CSV is read
    async with AsyncExitStack() as stack:
        store = await stack.enter_async_context(
            Store(config.storage.path, keep_messages=config.storage.keep_messages))
        twitch = await authenticated_client(config)
        stack.push_async_callback(twitch.close)
        if predictor is None:  # loading takes seconds: keep the loop free
            from model.scorer import Scorer  # torch: imported only when a real model is needed

            own_emotes = {c.name: c.emotes for c in config.channels if c.emotes}

            def load() -> Scorer:
                nonlocal reloader
                # The emote files are read once, below: by the reloader where they can count.
                loaded = Scorer.from_settings(dataclasses.replace(config.model, emotes=""))
                if loaded.reads_lexicon and (config.model.emotes or own_emotes):
                    reloader = EmoteReloader(loaded, config.model.emotes, own_emotes,
                                             interval_s=config.model.emotes_check_s)
                    reloader.load()
                else:  # a model that reads no lexicon says so
                    loaded.use_emotes(config.model.emotes or None, channels=own_emotes)
                return loaded

            model = await loop.run_in_executor(None, load)
            scorer: Predictor = model
            by_channel = bool(model.channel_lexicons)
        else:
            scorer, by_channel = predictor, False
        settings = config.model
        service = ScoringService(scorer, max_batch=settings.max_batch, max_wait_ms=settings.max_wait_ms,
                                 queue_size=settings.queue_size, overload=settings.overload,
                                 by_channel=by_channel)
        await stack.enter_async_context(service)
        bot = MoodBot(config, service, store, twitch, watchdog=watchdog, on_send=on_send, limits=limits)
        # Before start(): a signal during the first connect must still stop the chat it opened.
        stack.push_async_callback(bot.close)
        await bot.start()
        if reloader is not None:
            bot.start_loop("emote reloader", reloader.run)
        if config.web.enabled:
            from web.metrics import BotMetrics
            from web.server import WebServer

            metrics = BotMetrics(bot)
            service.on_batch, bot.writer.on_flush = metrics.observe_batch, metrics.observe_flush
            bot.web = WebServer(bot, config.web, metrics)
            await bot.web.start()
            stack.push_async_callback(bot.web.stop)  # stops first: no page reads a closing bot
        yield bot


def stop_on_signals(stop: asyncio.Event, started: Callable[[], bool]) -> None:
    """Handle SIGINT and SIGTERM on the running loop. Once `started()`, a signal sets `stop` and
    the caller shuts down in full. Before (the login retrying, the model loading), one cancels the
    current task, the start-up (CancelledError); a model being loaded cannot be interrupted, so the
    exit waits for it, and a second signal then quits at once (nothing has been read that could be
    lost)."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    signals = 0

    def on_signal() -> None:
        nonlocal signals
        signals += 1
        if started():
            stop.set()
        elif signals > 1:
            log.warning("second signal during start-up: quitting now")
            os._exit(130)
        elif main is not None:
            log.info("stopping before the bot has started (a model being loaded finishes first; "
                     "Ctrl+C again to quit now)")
            main.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)


def finish_on_signals() -> None:
    """For a command's coroutine, once its bot has stopped and everything is written: Ctrl+C
    (SIGINT) is ignored from here to the process's end, so asyncio.run's clean-up, the command's
    summary and the interpreter's exit run to the end (pressed again, it cut them short: a
    traceback, or a kill by SIGINT). SIGTERM ends the process at once, as by default, should a
    stuck thread ever hold the exit."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(sig)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # not a Python handler: the exit would reset one
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


async def run_until_signal(config: Config) -> None:
    """Run the bot until SIGINT or SIGTERM (`stop_on_signals`: one before the bot has started
    cancels the start-up)."""
    stop, running = asyncio.Event(), asyncio.Event()
    stop_on_signals(stop, running.is_set)
    async with running_bot(config) as bot:
        running.set()
        log.info("running in %s; stop with Ctrl+C", ", ".join(f"#{c.name}" for c in config.channels))
        await stop.wait()
        log.info("stopping: closing chat, scoring what arrived, writing statistics")
    stats = bot.stats
    log.info("stopped: %d messages received, %d skipped, %d scored, %d written, %d dropped, %d replies, "
             "%d alerts, %d reconnects, %d unreadable lines", stats.received, stats.skipped, stats.scored,
             stats.written, stats.dropped, stats.replies, stats.alerts, stats.reconnects, stats.bad_lines)
    finish_on_signals()
