"""What the bot says in chat: cut to Twitch's 500 characters, varied when Twitch would drop it as
a repeat, held back while a reconnect is in progress."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from twitchAPI.chat import Chat

log = logging.getLogger("twitch_mood.bot")

MAX_REPLY = 500  # Twitch's message limit
DUPLICATE_WINDOW_S = 30.0  # Twitch drops a message identical to the previous one within 30 s
DUPLICATE_SUFFIXES = (" ·", " ··")
READY_WAIT_S = 10.0  # how long a message waits for a reconnect in progress


def varied(text: str, last: tuple[str, float] | None, now: float) -> str:
    """`text` cut to 500 characters, with a suffix when it repeats the last message too soon."""
    text = text[:MAX_REPLY]
    if last is not None and now - last[1] < DUPLICATE_WINDOW_S and last[0] == text:
        first, second = DUPLICATE_SUFFIXES
        suffix = second if text.endswith(first) else first
        text = text[:MAX_REPLY - len(suffix)] + suffix
    return text


class ChatSender:
    """Sends through the current twitchAPI `Chat` (`chat()` may change on reconnect)."""

    def __init__(self, chat: Callable[[], Chat | None], *,
                 on_send: Callable[[str, str], None] | None = None) -> None:
        self._chat = chat
        self.on_send = on_send
        self.sent = 0
        self._last: dict[str, tuple[str, float]] = {}

    async def send(self, channel: str, text: str) -> bool:
        """Send one message; False (and a warning) when it could not be sent."""
        now = time.monotonic()
        text = varied(text, self._last.get(channel), now)
        chat = await self._ready_chat()
        if chat is None:
            log.warning("#%s: reply not sent (not connected): %s", channel, text)
            return False
        try:
            await chat.send_message(channel, text)
        except ValueError as exc:
            log.warning("#%s: reply not sent (%s): %s", channel, exc, text)
            return False
        self._last[channel] = (text, now)
        self.sent += 1
        if self.on_send is not None:
            self.on_send(channel, text)
        return True

    async def _ready_chat(self) -> Chat | None:
        deadline = time.monotonic() + READY_WAIT_S
        while True:
            chat = self._chat()
            if chat is not None and chat.is_ready():
                return chat
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.1)
