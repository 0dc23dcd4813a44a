"""The twitchAPI side, kept small: a `Chat` that survives malformed lines and says when it last
understood one, and `ChatLine`, the plain copy of a message that crosses to the bot's loop.

twitchAPI 4.5 parses every line inside its receive task; a line it cannot parse (a tag without
`=`, a bare `PRIVMSG`, a malformed `emotes` tag) raises there and ends the task while the socket
stays open: the bot would be deaf with nothing logged. `ResilientChat` skips and counts such a
line instead, logs the first at WARNING, and records when a line was last parsed, so the bot's
watchdog can notice a connection that has gone silent (no PING for minutes) and rebuild it.
It also writes every line on the socket thread's own loop: twitchAPI writes on the caller's,
and aiohttp's WebSocket, like any asyncio transport, is not safe to use from another thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from twitchAPI.chat import Chat, ChatMessage

from commands.base import Level

log = logging.getLogger("twitch_mood.bot")

SOCKET_CHECK_S = 0.5  # how often a write handed to the socket loop checks that the loop still runs
SOCKET_TASKS_GRACE_S = 0.5  # how long the ended socket thread lets its loop's tasks end on their own
SOCKET_TASKS_END_S = 1.0  # how long it then waits for each cancelled task, and each close


class ResilientChat(Chat):
    """twitchAPI's Chat, with unparseable lines skipped and counted, and a liveness stamp."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.last_parsed = time.monotonic()
        self.bad_lines = 0

    def _Chat__run_socket(self) -> None:  # twitchAPI's socket thread (its name-mangled method)
        """twitchAPI's socket thread, then an end to what it leaves on its loop. Its `stop()` ends
        the loop with the receive task still pending when that task was in the middle of its own
        reconnect, and asyncio reports each such task when the chat is collected ('Task was
        destroyed but it is pending!'). Here they are cancelled and awaited, the connection and
        session of an abandoned chat closed, and the loop closed."""
        try:
            super()._Chat__run_socket()  # type: ignore[misc]
        finally:
            loop: asyncio.AbstractEventLoop | None = getattr(self, "_Chat__socket_loop", None)
            if loop is not None:
                end_loop(loop, self)

    def abandon(self) -> None:
        """End a chat whose `stop()` failed: twitchAPI's stop() cannot stop a chat still
        connecting (it closes a connection it does not have yet) and cannot be called twice. Its
        socket thread then ends once its connect is over, and closes what it opened."""
        self._closing = True

    def _parse_irc_message(self, message: str) -> Any:
        try:
            parsed = super()._parse_irc_message(message)
        except Exception as exc:  # any parser failure: one bad line must not stop the bot
            self.bad_lines += 1
            if self.bad_lines == 1:
                log.warning("skipped a chat line twitchAPI cannot parse (%s: %s); further ones are "
                            "counted: %.200r", type(exc).__name__, exc, message)
            return None
        self.last_parsed = time.monotonic()
        return parsed

    async def _send_message(self, message: str) -> None:
        """Write on the socket thread's loop and wait there (the bot sends from its own loop).
        A loop that is not running (the socket thread ended) would never run the write: that is a
        ConnectionError, found within SOCKET_CHECK_S, as is a write that finds the connection
        already gone (twitchAPI's stop() sets it to None)."""
        socket_loop: asyncio.AbstractEventLoop | None = getattr(self, "_Chat__socket_loop", None)
        if socket_loop is None or socket_loop is asyncio.get_running_loop():
            await super()._send_message(message)
            return
        if socket_loop.is_closed() or not socket_loop.is_running():
            raise ConnectionError("the chat socket's loop is not running")
        send = super()._send_message(message)
        try:
            future = asyncio.run_coroutine_threadsafe(send, socket_loop)
        except RuntimeError:  # closed just now
            send.close()
            raise ConnectionError("the chat socket's loop has closed") from None
        written = asyncio.wrap_future(future)
        try:
            while not written.done():
                await asyncio.wait({written}, timeout=SOCKET_CHECK_S)
                if not written.done() and not socket_loop.is_running():
                    raise ConnectionError("the chat socket's loop stopped before the write")
        finally:
            future.cancel()  # cancelled here (or stopped there): the write there is cancelled too
        if written.cancelled():  # by the socket side (a stopping chat), not by our caller
            raise ConnectionError("the write was cancelled on the chat socket's loop")
        try:
            written.result()
        except AttributeError:  # twitchAPI's connection is None: stopped as the write was handed over
            raise ConnectionError("the chat connection closed before the write") from None

    def socket_alive(self) -> bool:
        """Whether twitchAPI's socket thread still runs. Once it has died (Twitch could not be
        reached), `stop()` would wait forever for that thread's loop."""
        thread = getattr(self, "_Chat__socket_thread", None)
        return thread is not None and thread.is_alive()


def end_loop(loop: asyncio.AbstractEventLoop, chat: Chat) -> None:
    """Give the tasks a stopped loop still holds SOCKET_TASKS_GRACE_S to end on their own (a
    start-up task cancelled inside twitchAPI's token check leaves that check's HTTP session open),
    cancel the rest and give them SOCKET_TASKS_END_S; close the chat's connection and session where
    its `stop()` did not, each within SOCKET_TASKS_END_S; close the loop."""
    pending = asyncio.all_tasks(loop)
    if pending:
        _, pending = loop.run_until_complete(asyncio.wait(pending, timeout=SOCKET_TASKS_GRACE_S))
    if pending:
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.wait(pending, timeout=SOCKET_TASKS_END_S))
    for name in ("_Chat__connection", "_session"):  # the WebSocket, then its aiohttp session
        resource = getattr(chat, name, None)
        if resource is not None and not resource.closed:
            try:
                loop.run_until_complete(_close_within(resource, SOCKET_TASKS_END_S))
            except Exception as exc:  # already broken, or the peer never answers: nothing to keep
                log.debug("closing the chat's %s after its socket thread ended: %r", name.lstrip("_"), exc)
    loop.close()


async def _close_within(resource: Any, seconds: float) -> None:
    async with asyncio.timeout(seconds):
        await resource.close()


@dataclass(frozen=True, slots=True)
class ChatLine:
    """What the bot needs of a chat message, copied on twitchAPI's socket thread."""

    channel: str
    user: str
    level: Level
    text: str
    sent_at: float | None  # Twitch's timestamp, seconds


def chat_line(message: ChatMessage) -> ChatLine:
    """Copy a twitchAPI message into plain data (call on the thread that received it)."""
    channel = channel_of(message)
    user = message.user
    return ChatLine(channel=channel, user=user.name.lower(), level=level_of(user, channel),
                    text=message.text or "",
                    sent_at=message.sent_timestamp / 1000 if message.sent_timestamp else None)


def level_of(user: Any, channel: str) -> Level:
    """The highest level a chatter has in `channel`, from the message's badges and tags."""
    badges = user.badges or {}
    if "broadcaster" in badges or user.name.lower() == channel:
        return Level.BROADCASTER
    if user.mod or "moderator" in badges:
        return Level.MODERATOR
    if user.vip or "vip" in badges:
        return Level.VIP
    if user.subscriber or "subscriber" in badges or "founder" in badges:
        return Level.SUBSCRIBER
    return Level.EVERYONE


def channel_of(message: ChatMessage) -> str:
    if message.room is not None:
        return message.room.name.lower()
    # Before ROOMSTATE arrives `room` is None, and twitchAPI 4.5 names the channel nowhere public.
    return str(message._parsed["command"]["channel"]).lstrip("#").lower()
