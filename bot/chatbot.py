"""The running bot: chat lines in, scores through the ScoringService, mood in MoodTrackers,
aggregates in the Store, commands and swing alerts out through one sender.

twitchAPI calls the message handler on its socket thread; the handler copies the message into a
`ChatLine` and hands it to the bot's loop with `call_soon_threadsafe`, which wakes the loop at
once. Nothing else of the bot runs on that thread. On the bot's loop a line is either a command
(one dispatcher applies its level and cooldowns) or chat to score, in a task of its own, so a
slow model or database never holds up the connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from bot.chat import ChatLine, ResilientChat, chat_line
from bot.config import Config
from bot.connection import ChatConnection, Watchdog
from bot.sender import ChatSender, SendLimits
from bot.stats import BotStats, ChannelStats, RecentMessage
from bot.store import Store
from bot.supervisor import LoopBody, Supervisor
from bot.writer import WRITE_ERRORS, StatsWriter
from commands import COMMANDS, Chatter, Command, CommandSettings, Dispatcher, ReplyKind
from model.service import Overloaded, ScoringService, ServiceClosed
from mood.tracker import MoodTracker, Swing

if TYPE_CHECKING:
    from twitchAPI.chat import ChatMessage
    from twitchAPI.twitch import Twitch

    from web.server import WebServer

log = logging.getLogger("twitch_mood.bot")

SCORING_DEADLINE_S = 60.0  # at shutdown, how long scoring what arrived may take
RECENT_MESSAGES = 20  # per channel, for the dashboard
OVERLOAD_LOG_EVERY_S = 10.0  # a full scoring queue is logged at most this often
SENDER_DEADLINE_S = 5.0  # at shutdown, how long queued replies and alerts may take
SENDER_LOOP = "chat sender"


AlertListener = Callable[[str, Swing, str], None]


class MoodBot:
    """Start with `await start()`, stop with `await close()`; implements commands.BotView."""

    def __init__(self, config: Config, service: ScoringService, store: Store, twitch: Twitch, *,
                 watchdog: Watchdog | None = None, clock: Callable[[], float] = time.time,
                 on_send: Callable[[str, str], None] | None = None, limits: SendLimits | None = None) -> None:
        self.config = config
        self.service, self.store = service, store
        self.clock = clock
        self._stats = BotStats()
        self.channel_stats = {c.name: ChannelStats() for c in config.channels}
        self.recent = {c.name: deque[RecentMessage](maxlen=RECENT_MESSAGES) for c in config.channels}
        self.alert_listeners: list[AlertListener] = []  # called with (channel, swing, text) on a sent alert
        self.web: WebServer | None = None  # set by bot.app when config.web is enabled
        self._channels = {c.name: c for c in config.channels}
        self.connection = ChatConnection(twitch, url=config.twitch.chat_url, channels=list(self._channels),
                                         on_message=self._on_message, watchdog=watchdog or Watchdog())
        self.on_send = on_send
        self.sender = ChatSender(lambda: self.chat, limits=limits, on_send=self._sent)
        self.dispatcher = Dispatcher(
            COMMANDS, self._command_settings, prefix=config.chat.command_prefix,
            refusal=config.chat.refusal_reply if config.chat.refusal == "reply" else None,
            refusal_cooldown_s=config.chat.refusal_cooldown_s)
        self._trackers = {name: MoodTracker(c.mood) for name, c in self._channels.items()}
        self._alerts_on: dict[str, bool] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # scoring, one per chat message
        self._commands: set[asyncio.Task[None]] = set()
        self.writer = StatsWriter(store, interval_s=config.storage.flush_interval_s,
                                  max_backlog_minutes=config.storage.max_backlog_minutes)
        self._loops = Supervisor()
        self._counts = config.chat_filter().counts
        self._loop: asyncio.AbstractEventLoop | None = None
        self._intake = False
        self._overload_logged = -OVERLOAD_LOG_EVERY_S

    @property
    def stats(self) -> BotStats:
        self._stats.reconnects = self.connection.reconnects
        self._stats.bad_lines = self.connection.bad_lines
        self._stats.written = self.writer.written
        return self._stats

    @property
    def chat(self) -> ResilientChat | None:
        return self.connection.chat

    # -- BotView -----------------------------------------------------------------------------

    def tracker(self, channel: str) -> MoodTracker:
        return self._trackers[channel]

    async def alerts_enabled(self, channel: str) -> bool:
        return self._alerts_on[channel]

    async def set_alerts_enabled(self, channel: str, enabled: bool, changed_by: str) -> None:
        self._alerts_on[channel] = enabled
        try:
            await self.store.set_alerts_enabled(channel, enabled, changed_by, self.clock())
        except WRITE_ERRORS as exc:
            log.error("#%s: alerts %s, but not saved to %s (%s): it lasts until the bot restarts", channel,
                      "on" if enabled else "off", self.store.path, exc)
        log.info("#%s: swing alerts turned %s by %s", channel, "on" if enabled else "off", changed_by)

    def _command_settings(self, channel: str, command: Command) -> CommandSettings:
        return self._channels[channel].commands.of(command)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Restore mood and settings from the store, connect, join, start the timers."""
        self._loop = asyncio.get_running_loop()
        now = self.clock()
        for name, channel in self._channels.items():
            since = now - max(channel.mood.baseline_window_s, 2 * channel.mood.report_window_s)
            for bucket in await self.store.minute_buckets(name, since):
                self._trackers[name].restore(bucket)
            setting = await self.store.channel_setting(name)
            self._alerts_on[name] = channel.mood.alerts_enabled if setting is None else setting.alerts_enabled
        self._intake = True
        await self.connection.open()
        if self.chat is not None:
            self._counts = self.config.chat_filter(self.chat.username or "").counts
        self._loops.start("statistics writer", self.writer.run)
        self._loops.start("swing watcher", self._watch_swings)
        self._loops.start("connection watchdog", self.connection.watch)
        self._loops.start(SENDER_LOOP, self.sender.run)

    def start_loop(self, name: str, body: LoopBody) -> None:
        """Run a background loop beside the bot's own, under the same supervisor (restarted after
        a crash, stopped first at close)."""
        self._loops.start(name, body)

    async def close(self) -> None:
        """Shut down in order: timers, the last replies, intake, scoring, the last statistics.

        Every message that arrived is scored and written, or counted as dropped and logged."""
        left_running = await self._loops.stop()
        self._intake = False  # lines from now on are counted as skipped; what arrived is scored below
        await asyncio.gather(*self._commands, return_exceptions=True)  # their replies get queued
        if SENDER_LOOP in left_running:  # flushing beside it would send from two places at once
            unsent, reason = self.sender.pending, "the chat sender did not stop"
        else:
            unsent = await self.sender.flush(SENDER_DEADLINE_S)
            connected = self.chat is not None and self.chat.is_connected()
            reason = "rate limit" if connected else "chat not connected"
        if unsent:
            log.warning("%d chat message(s) not sent at shutdown (%s)", unsent, reason)
        await self.connection.close()
        await self._drain_scoring()
        await self.writer.close()

    async def _drain_scoring(self) -> None:
        try:
            async with asyncio.timeout(SCORING_DEADLINE_S):
                await asyncio.shield(self.service.close())
        except TimeoutError:
            log.warning("scoring did not finish within %.0f s of shutdown", SCORING_DEADLINE_S)
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=1.0)
            before = self._stats.dropped
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)  # each counts itself as dropped
            if self._stats.dropped > before:
                log.warning("%d message(s) dropped at shutdown: not scored in time",
                            self._stats.dropped - before)

    # -- chat --------------------------------------------------------------------------------

    async def _on_message(self, message: ChatMessage) -> None:
        """On twitchAPI's socket thread: copy, hand over, wake the bot's loop. Nothing else."""
        try:
            line = chat_line(message)
        except Exception as exc:  # a line twitchAPI parsed but that lacks what a message has
            log.warning("skipped a chat message that could not be read: %r", exc)
            return
        if self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(self._receive, line)
            except RuntimeError:  # the bot's loop has closed: a line read as its chat was closing
                log.debug("#%s: a chat line after shutdown, not read", line.channel)

    def _receive(self, line: ChatLine) -> None:
        """On the bot's loop: a command to dispatch, chat to score, or a line to skip."""
        self._stats.received += 1
        if not self._intake:  # shutting down
            self._stats.skipped += 1
            return
        if line.channel in self.channel_stats:
            self.channel_stats[line.channel].received += 1
        if line.channel not in self._channels:
            self._stats.skipped += 1
            return
        if line.text.startswith(self.config.chat.command_prefix):
            self._stats.skipped += 1  # commands are not mood
            self._spawn(self._command(line), self._commands)
            return
        if not self._counts(line.user, line.text):
            self._stats.skipped += 1
            return
        log.debug("#%s <%s> %s", line.channel, line.user, line.text)
        sent_at = line.sent_at or self.clock()
        self._spawn(self._score(line.channel, sent_at, line.user, line.text), self._tasks)

    @staticmethod
    def _spawn(coro: Coroutine[Any, Any, None], tasks: set[asyncio.Task[None]]) -> None:
        task = asyncio.ensure_future(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def _score(self, channel: str, sent_at: float, user: str, text: str) -> None:
        try:
            score = await self.service.score(text, channel)
        except Overloaded:
            self._dropped(channel)
            if time.monotonic() - self._overload_logged >= OVERLOAD_LOG_EVERY_S:
                self._overload_logged = time.monotonic()
                log.warning("scoring queue full: %d message(s) not counted so far", self._stats.dropped)
            return
        except (ServiceClosed, asyncio.CancelledError):  # closing; cancelled: shutdown's deadline passed
            self._dropped(channel)
            return
        self._trackers[channel].add(sent_at, score.value, score.label)
        self.store.record(channel, sent_at, score.value, score.label, user, text)
        self.recent[channel].append(RecentMessage(sent_at, user, text, score.label, score.value))
        self._stats.scored += 1
        self.channel_stats[channel].counted += 1

    def _dropped(self, channel: str) -> None:
        self._stats.dropped += 1
        self.channel_stats[channel].dropped += 1

    async def _command(self, line: ChatLine) -> None:
        reply = await self.dispatcher.dispatch(line.channel, Chatter(line.user, line.level), line.text,
                                               self.clock(), self)
        if reply is not None:
            self.say(line.channel, reply.text, reply.kind)

    def _sent(self, channel: str, text: str) -> None:
        self._stats.replies += 1
        if self.on_send is not None:
            self.on_send(channel, text)

    def say(self, channel: str, text: str, kind: ReplyKind) -> bool:
        """Queue a message for the channel (see bot.sender.ChatSender)."""
        return self.sender.say(channel, text, kind)

    # -- timers ----------------------------------------------------------------------------------

    async def _watch_swings(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            now = self.clock()
            for channel in self._channels:
                swing = self._trackers[channel].check_swing(now, self._alerts_on[channel])
                if swing is not None:
                    self._alert(channel, swing)

    def _alert(self, channel: str, swing: Swing) -> None:
        self.store.record_alert(channel, swing)
        if not swing.sent:
            log.info("#%s: mood swing %+.2f -> %+.2f not announced (%s)", channel, swing.before,
                     swing.after, swing.reason)
            return
        settings = self._channels[channel].mood
        window = "minute" if settings.short_window_s == 60 else f"{settings.short_window_s:g} s"
        log.info("#%s: mood swing alert %+.2f -> %+.2f", channel, swing.before, swing.after)
        self._stats.alerts += 1
        self.channel_stats[channel].alerts += 1
        text = settings.alert_message.format(before=swing.before, after=swing.after, window=window)
        self.say(channel, text, ReplyKind.ALERT)
        for listener in self.alert_listeners:
            listener(channel, swing, text)
