"""The running bot: twitchAPI Chat in, scores through the ScoringService, mood in MoodTrackers,
aggregates in the Store, commands and swing alerts out.

The chat callback only filters and hands the text to a task, so a slow model or database never
makes the connection miss a PING. A watchdog rebuilds the connection when twitchAPI has given
up on it (it stops retrying silently after its last back-off step).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import Config, MoodConfig
from bot.middleware import ChannelCooldown, ModeratorsOnly
from bot.sender import ChatSender
from bot.store import Store
from bot.supervisor import Supervisor
from commands import COMMANDS, Command, Invocation
from model.service import Overloaded, ScoringService, ServiceClosed
from mood.tracker import MoodTracker, Swing

if TYPE_CHECKING:
    from twitchAPI.chat import Chat, ChatCommand, ChatMessage, JoinedEvent, LeftEvent
    from twitchAPI.chat.middleware import BaseCommandMiddleware
    from twitchAPI.twitch import Twitch


log = logging.getLogger("twitch_mood.bot")



@dataclass(frozen=True)
class Watchdog:
    """How the bot notices a dead connection and how twitchAPI retries on its own first."""

    check_interval_s: float = 5.0
    dead_after_s: float = 30.0
    reconnect_delay_steps: tuple[float, ...] = (0, 1, 2, 4, 8, 16, 32, 64, 128)


@dataclass
class BotStats:
    """What the bot has done since it started."""

    received: int = 0
    skipped: int = 0
    scored: int = 0
    dropped: int = 0
    replies: int = 0
    alerts: int = 0
    reconnects: int = 0


class MoodBot:
    """Start with `await start()`, stop with `await close()`; implements commands.BotView."""

    def __init__(self, config: Config, service: ScoringService, store: Store, twitch: Twitch, *,
                 watchdog: Watchdog | None = None, clock: Callable[[], float] = time.time,
                 on_send: Callable[[str, str], None] | None = None) -> None:
        self.config = config
        self.service, self.store, self.twitch = service, store, twitch
        self.watchdog = watchdog or Watchdog()
        self.clock = clock
        self.sender = ChatSender(lambda: self.chat, on_send=on_send)
        self.stats = BotStats()
        self.chat: Chat | None = None
        self._channels = {c.name: c for c in config.channels}
        self._trackers = {name: MoodTracker(c.mood) for name, c in self._channels.items()}
        self._alerts_on: dict[str, bool] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops = Supervisor()
        self._counts = config.chat_filter().counts

    # -- BotView -----------------------------------------------------------------------------

    def tracker(self, channel: str) -> MoodTracker:
        return self._trackers[channel]

    def settings(self, channel: str) -> MoodConfig:
        return self._channels[channel].mood

    async def alerts_enabled(self, channel: str) -> bool:
        return self._alerts_on[channel]

    async def set_alerts_enabled(self, channel: str, enabled: bool, changed_by: str) -> None:
        await self.store.set_alerts_enabled(channel, enabled, changed_by, self.clock())
        self._alerts_on[channel] = enabled
        log.info("#%s: swing alerts turned %s by %s", channel, "on" if enabled else "off", changed_by)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Restore mood and settings from the store, connect, join, start the timers."""
        now = self.clock()
        for name, channel in self._channels.items():
            since = now - max(channel.mood.baseline_window_s, 2 * channel.mood.report_window_s)
            for bucket in await self.store.minute_buckets(name, since):
                self._trackers[name].restore(bucket)
            setting = await self.store.channel_setting(name)
            self._alerts_on[name] = channel.mood.alerts_enabled if setting is None else setting.alerts_enabled
        await self._connect()
        self._loops.start("statistics writer", self._flush_forever)
        self._loops.start("swing watcher", self._watch_swings)
        self._loops.start("connection watchdog", self._watch_connection)

    async def close(self) -> None:
        """Stop the timers and the chat, finish scoring what arrived, write the last stats."""
        await self._loops.stop()
        await self._disconnect()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=30)
        await self.store.flush()

    async def _connect(self) -> None:
        from twitchAPI.chat import Chat
        from twitchAPI.type import ChatEvent

        loop = asyncio.get_running_loop()
        # Chat.start() waits forever when its first connection fails, so try the socket first.
        await _probe(self.config.twitch.chat_url)
        chat = await Chat(self.twitch, connection_url=self.config.twitch.chat_url,
                          initial_channel=list(self._channels), callback_loop=loop)
        # twitchAPI annotates List[int]; its asyncio.sleep takes the floats the tests use.
        chat.reconnect_delay_steps = list(self.watchdog.reconnect_delay_steps)  # pyright: ignore[reportAttributeAccessIssue]
        chat.set_prefix(self.config.chat.command_prefix)
        chat.log_no_registered_command_handler = False
        chat.register_event(ChatEvent.MESSAGE, self._on_message)
        chat.register_event(ChatEvent.JOINED, self._on_joined)
        chat.register_event(ChatEvent.LEFT, self._on_left)
        for command in COMMANDS:
            chat.register_command(command.name, self._command_handler(command),
                                  command_middleware=self._middleware(command))
        self.chat = chat
        await loop.run_in_executor(None, chat.start)  # blocks until its socket thread is up
        self._counts = self.config.chat_filter(chat.username or "").counts

    async def _disconnect(self) -> None:
        chat, self.chat = self.chat, None
        if chat is None:
            return
        try:
            await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, chat.stop), 10)
        except Exception as exc:  # a chat that died on its own may not stop cleanly
            log.debug("stopping the old chat connection: %r", exc)

    # -- chat events ---------------------------------------------------------------------------

    async def _on_joined(self, event: JoinedEvent) -> None:
        log.info("joined #%s", event.room_name)

    async def _on_left(self, event: LeftEvent) -> None:
        log.info("left #%s", event.room_name)

    async def _on_message(self, message: ChatMessage) -> None:
        """Filter and hand over; no awaiting of the model or the database here."""
        self.stats.received += 1
        channel = _channel_of(message)
        user = message.user.name.lower()
        text = message.text or ""
        if channel not in self._channels or not self._counts(user, text):
            self.stats.skipped += 1
            return
        sent_at = message.sent_timestamp / 1000 if message.sent_timestamp else self.clock()
        log.debug("#%s <%s> %s", channel, user, text)
        task = asyncio.create_task(self._score(channel, sent_at, user, text))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _score(self, channel: str, sent_at: float, user: str, text: str) -> None:
        try:
            score = await self.service.score(text)
        except Overloaded:
            self.stats.dropped += 1
            if self.stats.dropped % 100 == 1:
                log.warning("scoring queue full: %d message(s) not counted so far", self.stats.dropped)
            return
        except ServiceClosed:
            return
        self._trackers[channel].add(sent_at, score.value, score.label)
        self.store.record(channel, sent_at, score.value, score.label, user, text)
        self.stats.scored += 1

    # -- commands ------------------------------------------------------------------------------

    def _middleware(self, command: Command) -> list[BaseCommandMiddleware]:
        cooldown = ChannelCooldown(lambda channel: self._channels[channel].mood.command_cooldown_s
                                   if channel in self._channels else 0.0)
        if not command.moderators_only:
            return [cooldown]
        silent = self.config.chat.refusal == "silent"
        return [ModeratorsOnly(None if silent else self._refuse), cooldown]

    def _command_handler(self, command: Command) -> Callable[[ChatCommand], Awaitable[None]]:
        async def handle(chat_command: ChatCommand) -> None:
            channel = _channel_of(chat_command)
            if channel not in self._channels:
                return
            call = Invocation(channel=channel, user=chat_command.user.name,
                              args=chat_command.parameter or "", now=self.clock())
            reply = await command.handler(call, self)
            if reply:
                await self.send(channel, reply)
        return handle

    async def _refuse(self, chat_command: ChatCommand) -> None:
        channel = _channel_of(chat_command)
        if channel in self._channels:
            await self.send(channel, self._channels[channel].mood.replies.refused)

    async def send(self, channel: str, text: str) -> bool:
        """Say something in a channel (see bot.sender.ChatSender)."""
        sent = await self.sender.send(channel, text)
        self.stats.replies += sent
        return sent

    # -- timers ----------------------------------------------------------------------------------

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.storage.flush_interval_s)
            try:
                await self.store.flush()
            except Exception:
                log.exception("writing mood statistics failed; kept for the next try")

    async def _watch_swings(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            now = self.clock()
            for channel in self._channels:
                swing = self._trackers[channel].check_swing(now, self._alerts_on[channel])
                if swing is not None:
                    await self._alert(channel, swing)

    async def _alert(self, channel: str, swing: Swing) -> None:
        self.store.record_alert(channel, swing)
        if not swing.sent:
            log.info("#%s: mood swing %+.2f -> %+.2f not announced (%s)", channel, swing.before,
                     swing.after, swing.reason)
            return
        settings = self._channels[channel].mood
        window = "minute" if settings.short_window_s == 60 else f"{settings.short_window_s:g} s"
        log.info("#%s: mood swing alert %+.2f -> %+.2f", channel, swing.before, swing.after)
        self.stats.alerts += 1
        await self.send(channel, settings.replies.alert.format(before=swing.before, after=swing.after,
                                                               window=window))

    async def _watch_connection(self) -> None:
        unhealthy_since: float | None = None
        while True:
            await asyncio.sleep(self.watchdog.check_interval_s)
            chat = self.chat
            healthy = chat is not None and chat.is_connected() and chat.is_ready()
            if healthy:
                unhealthy_since = None
                continue
            now = time.monotonic()
            unhealthy_since = unhealthy_since or now
            if now - unhealthy_since < self.watchdog.dead_after_s:
                continue
            self.stats.reconnects += 1
            log.warning("chat connection dead for %.0f s; rebuilding it (attempt %d)",
                        now - unhealthy_since, self.stats.reconnects)
            await self._disconnect()
            try:
                await self._connect()
                unhealthy_since = None
            except Exception as exc:
                log.warning("reconnect attempt %d failed: %s", self.stats.reconnects, exc)


async def _probe(url: str) -> None:
    """Open and close one WebSocket to `url`; raises when it cannot be reached."""
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session, \
            session.ws_connect(url):
        pass


def _channel_of(message: ChatMessage) -> str:
    if message.room is not None:
        return message.room.name.lower()
    # Before ROOMSTATE arrives `room` is None, and twitchAPI 4.5 names the channel nowhere public.
    return str(message._parsed["command"]["channel"]).lstrip("#").lower()
