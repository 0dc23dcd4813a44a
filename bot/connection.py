"""The chat connection and its watchdog.

twitchAPI's `Chat` reconnects by itself after some failures but not all: after its last back-off
step it stops trying without a word, its receive loop ends on a plain server close (a CLOSE
frame), and a connection can fall silent. The watchdog checks four times a second and rebuilds the
connection, with back-off, when the socket is closed for longer than a short grace (twitchAPI
gets a moment to reconnect on its own), when it never became ready, or when nothing at all (PING
included) has been parsed for minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.chat import ResilientChat

if TYPE_CHECKING:
    from twitchAPI.chat import ChatMessage, JoinedEvent, LeftEvent
    from twitchAPI.twitch import Twitch

log = logging.getLogger("twitch_mood.bot")

STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Watchdog:
    """When the bot rebuilds the chat connection, and how twitchAPI retries on its own first."""

    check_interval_s: float = 0.25
    closed_grace_s: float = 0.5  # a closed socket twitchAPI has not reopened by then is rebuilt
    not_ready_after_s: float = 30.0  # connected but never ready (no 001 welcome)
    silent_after_s: float = 360.0  # Twitch sends a PING about every 5 minutes
    retry_delays_s: tuple[float, ...] = (1, 2, 4, 8, 16, 30)  # between failed rebuilds
    reconnect_delay_steps: tuple[float, ...] = (0, 1, 2)  # twitchAPI's own, before it gives up
    start_timeout_s: float = 30.0  # a Chat.start() that has not returned by then has failed


class ChatConnection:
    """Owns the twitchAPI Chat: `open()`, the `watch()` loop, `close()`. Handlers run on
    twitchAPI's socket thread and must only hand data over (see MoodBot)."""

    def __init__(self, twitch: Twitch, *, url: str, channels: list[str],
                 on_message: Callable[[ChatMessage], Awaitable[None]], watchdog: Watchdog) -> None:
        self.twitch, self.url, self.channels = twitch, url, channels
        self.on_message = on_message
        self.watchdog = watchdog
        self.chat: ResilientChat | None = None
        self.reconnects = 0
        self._failures = 0
        self._bad_lines_before = 0  # of connections closed since

    @property
    def bad_lines(self) -> int:
        """Unparseable lines skipped, over every connection so far."""
        return self._bad_lines_before + (self.chat.bad_lines if self.chat is not None else 0)

    async def open(self) -> None:
        """Connect and join; when chat cannot be reached, log one line and let `watch()` retry."""
        try:
            await self._connect()
        except Exception as exc:
            self._failures = 1
            log.warning("cannot reach Twitch chat at %s (%s); retrying", self.url, _reason(exc))

    async def close(self) -> None:
        chat, self.chat = self.chat, None
        if chat is None:
            return
        self._bad_lines_before += chat.bad_lines
        if not chat.socket_alive():  # nothing left to stop, and stop() would wait in vain
            return
        try:
            await _in_daemon_thread(chat.stop, STOP_TIMEOUT_S)
        except Exception as exc:  # still connecting, or died on its own: it may not stop cleanly
            log.debug("stopping the old chat connection: %r", exc)
            chat.abandon()

    async def watch(self) -> None:
        """Rebuild the connection when it is closed, never ready, or silent."""
        bad_since: float | None = None
        while True:
            await asyncio.sleep(self.watchdog.check_interval_s)
            now = time.monotonic()
            problem = self._problem(now, bad_since)
            if problem is None:
                bad_since = None if self._healthy() else bad_since or now
                continue
            bad_since = None
            await self._rebuild(problem)

    def _healthy(self) -> bool:
        chat = self.chat
        return chat is not None and chat.is_connected() and chat.is_ready()

    def _problem(self, now: float, bad_since: float | None) -> str | None:
        chat, w = self.chat, self.watchdog
        if chat is None:
            return "not connected"
        if not chat.is_connected():
            return "socket closed" if bad_since is not None and now - bad_since >= w.closed_grace_s else None
        if not chat.is_ready():
            return "never ready" if bad_since is not None and now - bad_since >= w.not_ready_after_s else None
        if now - chat.last_parsed >= w.silent_after_s:
            return f"nothing received for {now - chat.last_parsed:.0f} s"
        return None

    async def _rebuild(self, problem: str) -> None:
        if self._failures:
            delays = self.watchdog.retry_delays_s
            await asyncio.sleep(delays[min(self._failures - 1, len(delays) - 1)])
        self.reconnects += 1
        log.warning("chat connection lost (%s); reconnecting (attempt %d)", problem, self.reconnects)
        await self.close()
        try:
            await self._connect()
        except Exception as exc:
            self._failures += 1
            log.warning("reconnect attempt %d failed: %s", self.reconnects, _reason(exc))
            return
        self._failures = 0
        log.info("chat connection rebuilt")

    async def _connect(self) -> None:
        from twitchAPI.type import ChatEvent

        # Chat.start() waits forever when its first connection fails, so try the socket first.
        await _probe(self.url)
        # No callback_loop: handlers run on twitchAPI's socket loop, and hand over thread-safely,
        # which wakes the bot's loop at once (twitchAPI's own hand-over does not).
        chat = await ResilientChat(self.twitch, connection_url=self.url, initial_channel=self.channels)
        # twitchAPI annotates List[int]; its asyncio.sleep takes the floats the tests use.
        chat.reconnect_delay_steps = list(self.watchdog.reconnect_delay_steps)  # pyright: ignore[reportAttributeAccessIssue]
        chat.log_no_registered_command_handler = False  # commands are ours (commands/dispatch.py)
        chat.register_event(ChatEvent.MESSAGE, self.on_message)
        chat.register_event(ChatEvent.JOINED, _on_joined)
        chat.register_event(ChatEvent.LEFT, _on_left)
        self.chat = chat
        await _start(chat, self.watchdog.start_timeout_s)


async def _start(chat: ResilientChat, timeout: float) -> None:
    """`chat.start()` with a deadline. It blocks until its socket thread has connected, and
    twitchAPI 4.5 lets it wait forever when that thread fails (a connect or token refresh that
    fails after our probe)."""
    returned = threading.Event()

    def start() -> None:
        try:
            chat.start()
        finally:
            returned.set()

    try:
        await _in_daemon_thread(start, timeout)
    except (TimeoutError, asyncio.CancelledError) as exc:  # a deadline, or shutdown during a rebuild
        # A socket thread it started is stopped by close(), which finds this chat in self.chat.
        _release_start(chat, returned)
        if isinstance(exc, asyncio.CancelledError):
            raise
        raise ConnectionError(f"chat did not start within {timeout:g} s") from None


def _release_start(chat: ResilientChat, returned: threading.Event) -> None:
    """End a `chat.start()` that waits for a startup that will not complete. twitchAPI has no
    public way to abort it, so its wait-loop flag is set, from a daemon thread, until start()
    has returned: start() clears the flag as it begins and `stop()` clears it again, either of
    which can come after one setting."""

    def release() -> None:
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while not returned.is_set() and time.monotonic() < deadline:
            chat._Chat__startup_complete = True  # type: ignore[attr-defined]
            returned.wait(0.005)

    threading.Thread(target=release, name="twitchapi-start-release", daemon=True).start()


async def _in_daemon_thread(call: Callable[[], None], timeout: float) -> None:
    """Run a blocking twitchAPI call with a deadline, on a daemon thread: `start()` and `stop()`
    can block forever once the Chat's socket thread has died, and a thread of the loop's default
    executor would then keep the process (and the loop's shutdown) waiting with it."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if not done.done():
            done.set_result(None) if error is None else done.set_exception(error)

    def run() -> None:
        error: BaseException | None = None
        try:
            call()
        except BaseException as exc:  # handed to the waiting loop
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop may be gone after a deadline passed
            loop.call_soon_threadsafe(settle, error)

    threading.Thread(target=run, name="twitchapi-call", daemon=True).start()
    async with asyncio.timeout(timeout):
        await asyncio.shield(done)


async def _on_joined(event: JoinedEvent) -> None:
    log.info("joined #%s", event.room_name)


async def _on_left(event: LeftEvent) -> None:
    log.info("left #%s", event.room_name)


async def _probe(url: str) -> None:
    """Open and close one WebSocket to `url`; raises when it cannot be reached."""
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session, \
            session.ws_connect(url):
        pass


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
