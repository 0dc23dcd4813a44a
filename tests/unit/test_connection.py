"""Closing a chat connection whose twitchAPI socket thread has already died; writing on its loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.chat import ResilientChat
from bot.connection import ChatConnection, Watchdog


class DeadChat:
    """A chat whose socket thread ended: `stop()` would wait for a loop that no longer runs."""

    bad_lines = 2

    def socket_alive(self) -> bool:
        return False

    def stop(self) -> None:
        raise AssertionError("stop() called on a chat whose socket thread is gone")


async def _ignore(_message: object) -> None:
    return None


async def test_close_skips_stop_when_the_socket_thread_has_died() -> None:
    connection = ChatConnection(None, url="ws://127.0.0.1:1/irc", channels=["c"],  # type: ignore[arg-type]
                                on_message=_ignore, watchdog=Watchdog())
    connection.chat = DeadChat()  # type: ignore[assignment]
    await connection.close()
    assert connection.chat is None
    assert connection.bad_lines == 2  # its count is kept


def test_socket_alive_follows_twitchapis_socket_thread() -> None:
    chat = ResilientChat.__new__(ResilientChat)  # no Twitch client needed to read the thread
    assert not chat.socket_alive()  # never started
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    chat._Chat__socket_thread = thread  # type: ignore[attr-defined]
    thread.start()
    assert chat.socket_alive()
    release.set()
    thread.join()
    assert not chat.socket_alive()


async def test_lines_are_written_on_the_socket_threads_loop(monkeypatch) -> None:
    written: list[tuple[str, str]] = []

    async def send(self: ResilientChat, message: str) -> None:  # twitchAPI's write to the socket
        written.append((message, threading.current_thread().name))

    monkeypatch.setattr("twitchAPI.chat.Chat._send_message", send)
    chat = ResilientChat.__new__(ResilientChat)
    await chat._send_message("PRIVMSG #a :before the socket thread")  # no socket loop yet: here
    socket_loop = asyncio.new_event_loop()
    thread = threading.Thread(target=socket_loop.run_forever, name="socket thread")
    thread.start()
    chat._Chat__socket_loop = socket_loop  # type: ignore[attr-defined]
    try:
        await chat._send_message("PRIVMSG #a :hello")
    finally:
        socket_loop.call_soon_threadsafe(socket_loop.stop)
        thread.join()
    socket_loop.close()
    assert written == [("PRIVMSG #a :before the socket thread", threading.current_thread().name),
                       ("PRIVMSG #a :hello", "socket thread")]
    with pytest.raises(ConnectionError, match="closed"):  # a closed loop: a one-line failure
        await chat._send_message("PRIVMSG #a :too late")
