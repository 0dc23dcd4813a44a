"""Everything the bot says goes through one `ChatSender` on the bot's loop.

- Per channel, at most `limit_for(channel)` messages in any `window_s` span: Twitch allows 20
  per 30 s, 100 when the bot is a moderator there; the window has a second of slack for jitter.
- The queue of each channel is bounded. When it is full, refusals are dropped first, then
  `!hype`, then `!mood` replies; alerts and confirmations are never dropped. The most important
  waiting message is sent first.
- A message is cut to Twitch's 500 characters, kept on one line, and varied when Twitch would
  drop it as a repeat.

Messages go out as raw PRIVMSG lines: twitchAPI's `send_message` has a rate-limit bucket of its
own (a fixed window that already waits at its 20th message), which would stall this sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from commands.base import ReplyKind

log = logging.getLogger("twitch_mood.bot")

MAX_REPLY = 500  # Twitch's message limit
DUPLICATE_WINDOW_S = 30.0  # Twitch drops a message identical to the previous one within 30 s
DUPLICATE_SUFFIXES = (" ·", " ··")
NOT_READY_RETRY_S = 0.5
SEND_TIMEOUT_S = 2.0  # twitchAPI waits (forever) for a socket to come back; a rebuild replaces it


class Chat(Protocol):
    """What the sender uses of twitchAPI's Chat."""

    def is_ready(self) -> bool: ...

    def is_connected(self) -> bool: ...

    def socket_alive(self) -> bool: ...

    def is_mod(self, room: str, /) -> bool: ...

    async def send_raw_irc_message(self, message: str, /) -> None: ...


@dataclass(frozen=True)
class SendLimits:
    """Twitch's per-channel limits, and how many messages may wait per channel."""

    user: int = 20  # messages per window when the bot is not a moderator in the channel
    moderator: int = 100
    window_s: float = 31.0  # Twitch counts 30 s; one more absorbs network jitter
    queue_size: int = 20  # more than a window's worth would be stale by the time it is sent


def varied(text: str, last: tuple[str, float] | None, now: float) -> str:
    """`text` cut to 500 characters, with a suffix when it repeats the last message too soon."""
    text = " ".join(text.splitlines())[:MAX_REPLY]  # a line break would end the IRC line
    if last is not None and now - last[1] < DUPLICATE_WINDOW_S and last[0] == text:
        first, second = DUPLICATE_SUFFIXES
        suffix = second if text.endswith(first) else first
        text = text[:MAX_REPLY - len(suffix)] + suffix
    return text


@dataclass(order=True)
class _Outgoing:
    order: tuple[int, int]  # (-kind, sequence): the most important first, then oldest first
    text: str = field(compare=False)
    kind: ReplyKind = field(compare=False)


class ChatSender:
    """`say(channel, text, kind)` queues; `run()` (a background loop) sends within the limits."""

    def __init__(self, chat: Callable[[], Chat | None], *, limits: SendLimits | None = None,
                 on_send: Callable[[str, str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._chat = chat
        self.limits = limits or SendLimits()
        self.queue_size, self.window_s = self.limits.queue_size, self.limits.window_s
        self.on_send = on_send
        self.clock = clock
        self.sent: Counter[ReplyKind] = Counter()
        self.dropped: Counter[ReplyKind] = Counter()
        self._queues: dict[str, list[_Outgoing]] = {}
        self._times: dict[str, deque[float]] = {}
        self._last: dict[str, tuple[str, float]] = {}
        self._sequence = itertools.count()
        self._wake = asyncio.Event()

    @property
    def pending(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def say(self, channel: str, text: str, kind: ReplyKind) -> bool:
        """Queue a message; False when it (or nothing better) had to be dropped for it."""
        queue = self._queues.setdefault(channel, [])
        item = _Outgoing((-kind, next(self._sequence)), text, kind)
        if not kind.droppable and any(o.text == text and o.kind == kind for o in queue):
            return True  # the same confirmation already waits (a moderator switching twice): say it once
        if len(queue) >= self.queue_size:
            # The least important droppable message goes: the lowest kind, the newest of it.
            victim = max((o for o in (*queue, item) if o.kind.droppable), default=None)
            if victim is not None:
                self.dropped[victim.kind] += 1
                if victim is item:
                    log.debug("#%s: outgoing queue full, not sent: %s", channel, text)
                    return False
                queue.remove(victim)
        queue.append(item)
        self._wake.set()
        return True

    async def run(self) -> None:
        """Send queued messages forever, each channel within its rate limit."""
        while True:
            wait = await self._send_ready()
            self._wake.clear()
            if wait is None:
                await self._wake.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wake.wait()

    async def flush(self, timeout: float) -> int:
        """At shutdown: send what the limits allow within `timeout`; return how many are left.
        It returns as soon as nothing more can go out in time: the next slot of the rate limit
        comes after the deadline, or there is no chat whose socket thread still runs (the
        watchdog has stopped, so none will come). A closed socket of a live chat is retried:
        twitchAPI reconnects by itself after a RECONNECT or a closed frame."""
        deadline = self.clock() + timeout
        while self.pending:
            wait = await self._send_ready()
            chat, left = self._chat(), deadline - self.clock()
            if wait is None or chat is None or not chat.socket_alive() or left <= 0:
                break
            if wait > max(left, NOT_READY_RETRY_S):  # the next rate-limit slot comes too late
                break
            await asyncio.sleep(min(wait, left))
        return self.pending

    async def _send_ready(self) -> float | None:
        """Send every message the limits allow now; seconds until the next may go (None: idle)."""
        next_wait: float | None = None
        for channel, queue in self._queues.items():
            while queue:
                wait = self._slot_in(channel)
                if wait > 0:
                    break
                chat = self._chat()
                # twitchAPI stays "ready" after its socket closed: check both, keep it queued.
                if chat is None or not chat.is_ready() or not chat.is_connected():
                    wait = NOT_READY_RETRY_S
                    break
                queue.sort()
                if not await self._send(chat, channel, queue[0]):
                    wait = NOT_READY_RETRY_S
                    break
                queue.pop(0)
            else:
                continue
            next_wait = wait if next_wait is None else min(next_wait, wait)
        return next_wait

    def _slot_in(self, channel: str) -> float:
        times = self._times.setdefault(channel, deque())
        now = self.clock()
        while times and now - times[0] >= self.window_s:
            times.popleft()
        if len(times) < self.limit_for(channel):
            return 0.0
        return self.window_s - (now - times[0])

    async def _send(self, chat: Chat, channel: str, item: _Outgoing) -> bool:
        """Send one message; False when the connection went away under it (it stays queued)."""
        now = self.clock()
        text = varied(item.text, self._last.get(channel), now)
        try:
            async with asyncio.timeout(SEND_TIMEOUT_S):
                await chat.send_raw_irc_message(f"PRIVMSG #{channel} :{text}")
        except (TimeoutError, ValueError, ConnectionError) as exc:  # closed or being rebuilt
            log.debug("#%s: message held back (%r): %s", channel, exc, text)
            return False
        self._times[channel].append(now)
        self._last[channel] = (text, now)
        self.sent[item.kind] += 1
        if self.on_send is not None:
            self.on_send(channel, text)
        return True

    def limit_for(self, channel: str) -> int:
        """Messages allowed per window in `channel`: more where the bot is a moderator."""
        chat = self._chat()
        try:
            moderator = chat is not None and chat.is_mod(channel)
        except Exception:  # not joined yet: the lower limit is always safe
            moderator = False
        return self.limits.moderator if moderator else self.limits.user
