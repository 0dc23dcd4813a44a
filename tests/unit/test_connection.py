"""Closing a chat connection whose twitchAPI socket thread has already died; writing on its loop;
starting one that never completes its startup."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot import chat as chat_module
from bot.chat import ResilientChat
from bot.connection import ChatConnection, Watchdog, _start


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


class SocketThread:
    """A loop on its own thread, as twitchAPI's socket thread runs one."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="socket thread")
        self.thread.start()

    def end(self) -> None:  # as twitchAPI's stop(): the loop stops and is never closed
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


def chat_on(socket: SocketThread | None) -> ResilientChat:
    chat = ResilientChat.__new__(ResilientChat)  # no Twitch client needed to write
    if socket is not None:
        chat._Chat__socket_loop = socket.loop  # type: ignore[attr-defined]
    return chat


async def test_lines_are_written_on_the_socket_threads_loop(monkeypatch) -> None:
    written: list[tuple[str, str]] = []

    async def send(self: ResilientChat, message: str) -> None:  # twitchAPI's write to the socket
        written.append((message, threading.current_thread().name))

    monkeypatch.setattr("twitchAPI.chat.Chat._send_message", send)
    await chat_on(None)._send_message("PRIVMSG #a :before the socket thread")  # no socket loop yet: here
    socket = SocketThread()
    try:
        await chat_on(socket)._send_message("PRIVMSG #a :hello")
    finally:
        socket.end()
    assert written == [("PRIVMSG #a :before the socket thread", threading.current_thread().name),
                       ("PRIVMSG #a :hello", "socket thread")]
    with pytest.raises(ConnectionError, match="not running"):  # its thread has ended: one line, at once
        await asyncio.wait_for(chat_on(socket)._send_message("PRIVMSG #a :too late"), 1)
    socket.loop.close()


async def test_a_write_that_the_socket_loop_never_runs_fails_and_a_cancel_reaches_the_socket(monkeypatch):
    monkeypatch.setattr(chat_module, "SOCKET_CHECK_S", 0.05)
    started, cancelled = threading.Event(), threading.Event()

    async def stuck(self: ResilientChat, message: str) -> None:  # a socket that does not take the line
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    monkeypatch.setattr("twitchAPI.chat.Chat._send_message", stuck)
    socket = SocketThread()
    try:
        sending = asyncio.ensure_future(chat_on(socket)._send_message("PRIVMSG #a :hello"))
        assert await asyncio.to_thread(started.wait, 5)
        sending.cancel()  # the sender's own timeout
        with pytest.raises(asyncio.CancelledError):
            await sending
        assert await asyncio.to_thread(cancelled.wait, 5)  # the write there was cancelled too

        started.clear()
        sending = asyncio.ensure_future(chat_on(socket)._send_message("PRIVMSG #a :again"))
        assert await asyncio.to_thread(started.wait, 5)
        socket.loop.call_soon_threadsafe(socket.loop.stop)  # the socket thread ends under the write
        with pytest.raises(ConnectionError, match="stopped before the write"):
            await asyncio.wait_for(sending, 2)
    finally:
        socket.end()
    socket.loop.close()


class StartsForever:
    """twitchAPI's `Chat.start()` when its socket thread fails: it clears its startup flag as it
    begins (`begins_after` seconds in), then waits in a `time.sleep` loop for a startup that never
    completes."""

    def __init__(self, begins_after: float = 0.0) -> None:
        self.begins_after = begins_after
        self._Chat__startup_complete = False
        self.returned = threading.Event()

    def start(self) -> None:
        time.sleep(self.begins_after)
        self._Chat__startup_complete = False
        while not self._Chat__startup_complete:
            time.sleep(0.01)
        self.returned.set()


async def test_a_start_past_its_deadline_is_a_connection_error_and_its_thread_ends() -> None:
    chat = StartsForever()
    with pytest.raises(ConnectionError, match=r"^chat did not start within 0.1 s$"):
        await _start(chat, 0.1)  # type: ignore[arg-type]
    assert chat.returned.wait(2)


async def test_shutdown_during_a_start_leaves_no_thread_waiting() -> None:
    chat = StartsForever()
    starting = asyncio.create_task(_start(chat, 30))  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting
    assert chat.returned.wait(2)


async def test_a_cancel_before_start_has_begun_still_ends_the_start() -> None:
    # start() clears its flag as it begins: one setting before that would be undone.
    chat = StartsForever(begins_after=0.1)
    starting = asyncio.create_task(_start(chat, 30))  # type: ignore[arg-type]
    await asyncio.sleep(0.02)
    starting.cancel()  # before start() has begun
    with pytest.raises(asyncio.CancelledError):
        await starting
    assert chat.returned.wait(2)


def test_the_socket_threads_leftover_tasks_are_ended_and_its_loop_closed(monkeypatch) -> None:
    # twitchAPI's stop() ends the socket loop with the receive task pending when it was in the
    # middle of its own reconnect: asyncio reported "Task was destroyed but it is pending!".
    from twitchAPI.chat import Chat

    left: list[asyncio.Task[None]] = []

    def run_socket(self) -> None:  # as twitchAPI's: a loop, a receive task, a run that ends
        loop = self._Chat__socket_loop = asyncio.new_event_loop()

        async def receive() -> None:
            await asyncio.sleep(3600)  # reconnecting

        async def token_check() -> None:
            await asyncio.sleep(0.1)  # an HTTP call that closes its session when it ends

        left.append(loop.create_task(receive()))
        left.append(loop.create_task(token_check()))
        loop.run_until_complete(asyncio.sleep(0.01))

    monkeypatch.setattr(Chat, "_Chat__run_socket", run_socket)
    chat = ResilientChat.__new__(ResilientChat)  # no Twitch client needed for the socket thread
    thread = threading.Thread(target=chat._Chat__run_socket)  # type: ignore[attr-defined]
    thread.start()
    thread.join(5)
    receive, token_check = left
    assert receive.cancelled() and chat._Chat__socket_loop.is_closed()  # type: ignore[attr-defined]
    assert token_check.done() and not token_check.cancelled()  # it had its grace to end on its own


class StillConnecting:
    """twitchAPI's chat while its first connect runs: its stop() fails (it closes a connection it
    does not have yet), and it cannot be stopped a second time."""

    bad_lines = 0

    def __init__(self) -> None:
        self.abandoned = False

    def socket_alive(self) -> bool:
        return True

    def stop(self) -> None:
        raise AttributeError("'NoneType' object has no attribute 'close'")

    def abandon(self) -> None:
        self.abandoned = True


async def test_a_chat_that_cannot_be_stopped_while_connecting_is_abandoned() -> None:
    connection = ChatConnection(None, url="ws://127.0.0.1:1/irc", channels=["c"],  # type: ignore[arg-type]
                                on_message=_ignore, watchdog=Watchdog())
    chat = StillConnecting()
    connection.chat = chat  # type: ignore[assignment]
    await connection.close()
    assert chat.abandoned and connection.chat is None


def test_the_socket_thread_of_an_abandoned_chat_closes_its_connection_and_session(monkeypatch) -> None:
    from twitchAPI.chat import Chat

    closed: list[str] = []

    class Closable:
        def __init__(self, name: str) -> None:
            self.name, self.closed = name, False

        async def close(self) -> None:
            self.closed = True
            closed.append(self.name)

    def run_socket(self) -> None:  # connected, then ended by `_closing` without stop()
        self._Chat__socket_loop = asyncio.new_event_loop()
        self._Chat__connection, self._session = Closable("connection"), Closable("session")

    monkeypatch.setattr(Chat, "_Chat__run_socket", run_socket)
    chat = ResilientChat.__new__(ResilientChat)
    thread = threading.Thread(target=chat._Chat__run_socket)  # type: ignore[attr-defined]
    thread.start()
    thread.join(5)
    assert closed == ["connection", "session"] and chat._Chat__socket_loop.is_closed()  # type: ignore[attr-defined]


async def test_abandon_ends_twitchapis_keep_alive_loop() -> None:
    # What makes an abandoned chat's socket thread end once its connect is over.
    chat = ResilientChat.__new__(ResilientChat)
    chat._closing = False  # as twitchAPI's start() sets it
    chat.abandon()
    await asyncio.wait_for(chat._keep_loop_alive(), 1)
