"""A local Twitch-compatible server for the demo, end-to-end tests and the load benchmark.

It speaks what twitchAPI uses: IRC over WebSocket at `/irc` (CAP, PASS/NICK, the welcome,
JOIN with ROOMSTATE/USERSTATE/353/366, PRIVMSG with IRCv3 tags, PING/PONG, PART) and the HTTP
calls `/oauth2/validate`, `/oauth2/token` (refresh and device flow), `/oauth2/device` and
`/helix/users` (in localtwitch/oauth.py). It runs on its own thread and event loop (twitchAPI's
`Chat.start()` blocks the thread that calls it), records every line the bot sends, and lets a
test or the demo say things in a channel as any viewer or moderator, replay a chat log, drop
connections or refuse new ones.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from localtwitch import irc
from localtwitch.oauth import LocalOAuth

HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A PRIVMSG the bot sent."""

    channel: str
    text: str
    at: float


@dataclass
class _Client:
    ws: web.WebSocketResponse
    nick: str = ""
    token: str = ""
    channels: set[str] = field(default_factory=set)


class LocalTwitchServer:
    """Start with `start()` (returns once listening), stop with `stop()`. Thread-safe controls."""

    def __init__(self, *, bot_login: str = "moodbot", client_id: str = "local-client-id",
                 port: int = 0, ping_interval_s: float = 60.0) -> None:
        self.bot_login = bot_login.lower()
        self.client_id = client_id
        self.ping_interval_s = ping_interval_s
        self.oauth = LocalOAuth(self.bot_login, client_id)
        self.sent: list[SentMessage] = []
        self.connections = 0
        self.delivered = 0  # chat lines said in channels
        self._undelivered: list[tuple[str, str, str]] = []  # (channel, user, text) said to no client
        self.refuse_connections = False
        self.muted = False  # send nothing at all, PING included: a connection gone silent
        self._port = port
        self._clients: list[_Client] = []
        self._ids = itertools.count(100_000)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> LocalTwitchServer:
        ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="local-twitch", daemon=True)
        self._thread.start()
        ready.result(timeout=30)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._loop = None

    def __enter__(self) -> LocalTwitchServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def access_token(self) -> str:
        """The currently valid user token (changes when the bot refreshes it)."""
        return self.oauth.access_token

    @property
    def refresh_token(self) -> str:
        return self.oauth.refresh_token

    @property
    def port(self) -> int:
        return self._port

    @property
    def chat_url(self) -> str:
        return f"ws://{HOST}:{self._port}/irc"

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self._port}/helix/"

    @property
    def auth_url(self) -> str:
        return f"http://{HOST}:{self._port}/oauth2/"

    def _run(self, ready: Future[None]) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._listen())
        except BaseException as exc:  # report a failed start to start()
            ready.set_exception(exc)
            return
        ready.set_result(None)
        self._loop.create_task(self._ping_forever())
        self._loop.run_forever()
        self._loop.close()

    async def _listen(self) -> None:
        app = web.Application()
        app.router.add_get("/irc", self._irc)
        self.oauth.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, HOST, self._port).start()
        self._port = self._runner.addresses[0][1]
        self.oauth.base_url = f"http://{HOST}:{self._port}/"

    async def _shutdown(self) -> None:
        for client in list(self._clients):
            await client.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()

    def _call(self, coro: Any, timeout: float = 30) -> Any:
        if self._loop is None:
            raise RuntimeError("server is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=timeout)

    # -- controls (call from any thread) ------------------------------------------------------

    def say(self, channel: str, user: str, text: str, *, sent_at: float | None = None,
            **badges: bool) -> None:
        """Deliver a chat message from `user` to every client in `channel`; `badges`: mod, broadcaster,
        vip, subscriber."""
        self._call(self._say(irc.channel_name(channel), user, text, sent_at, **badges))

    def send_raw(self, channel: str, line: str) -> None:
        """Deliver one raw IRC line, well-formed or not, to every client in `channel`."""
        self._call(self._deliver(irc.channel_name(channel), line))

    def replay(self, channel: str, lines: Iterable[tuple[str, str]], rate: float,
               on_line: Callable[[int], None] | None = None) -> Future[int]:
        """Send (user, text) lines at `rate` per second; the future gives the number sent."""
        if self._loop is None:
            raise RuntimeError("server is not running")
        coro = self._replay(irc.channel_name(channel), list(lines), rate, on_line)
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def drop_connections(self) -> int:
        """Close every client's WebSocket (as a Twitch restart would); return how many."""
        return self._call(self._drop())

    def joined(self, channel: str) -> bool:
        with self._lock:
            return any(irc.channel_name(channel) in c.channels for c in self._clients)

    def joined_channels(self) -> set[str]:
        """Channels joined by a client whose WebSocket is still open (a dropped one no longer counts)."""
        with self._lock:
            return {name for c in self._clients if not c.ws.closed for name in c.channels}

    def undelivered_lines(self) -> list[tuple[str, str, str]]:
        """(channel, user, text) of each chat line said while no open client had joined its channel."""
        with self._lock:
            return list(self._undelivered)

    def sent_texts(self, channel: str | None = None) -> list[str]:
        with self._lock:
            return [m.text for m in self.sent if channel is None or m.channel == irc.channel_name(channel)]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Poll `predicate` until it is true or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return predicate()

    # -- IRC -----------------------------------------------------------------------------------

    async def _irc(self, request: web.Request) -> web.StreamResponse:
        if self.refuse_connections:
            raise web.HTTPServiceUnavailable(text="refusing connections")
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=1 << 20)
        await ws.prepare(request)
        client = _Client(ws)
        with self._lock:
            self._clients.append(client)
            self.connections += 1
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    break
                for line in message.data.split("\r\n"):
                    if line:
                        await self._command(client, line)
        finally:
            with self._lock:
                self._clients.remove(client)
        return ws

    async def _send(self, client: _Client, *lines: str) -> bool:
        if client.ws.closed or self.muted:
            return False
        await client.ws.send_str("\r\n".join(lines) + "\r\n")
        return True

    async def _command(self, client: _Client, line: str) -> None:
        verb, _, rest = line.partition(" ")
        verb = verb.upper()
        nick = client.nick
        prefix = f":{nick}!{nick}@{nick}.tmi.twitch.tv"
        if verb == "CAP":
            caps = rest.partition(":")[2]
            await self._send(client, f":tmi.twitch.tv CAP * ACK :{caps}")
        elif verb == "PASS":
            client.token = rest.removeprefix("oauth:").strip()
        elif verb == "NICK":
            await self._welcome(client, rest.strip().lower())
        elif verb == "PING":
            await self._send(client, f":tmi.twitch.tv PONG tmi.twitch.tv {rest}")
        elif verb == "JOIN":
            for name in rest.split(","):
                await self._join(client, irc.channel_name(name.strip()))
        elif verb == "PART":
            for name in rest.split(","):
                client.channels.discard(irc.channel_name(name.strip()))
                await self._send(client, f"{prefix} PART #{irc.channel_name(name.strip())}")
        elif verb == "PRIVMSG":
            target, _, text = rest.partition(" :")
            with self._lock:
                self.sent.append(SentMessage(irc.channel_name(target), text, time.time()))

    async def _welcome(self, client: _Client, nick: str) -> None:
        if client.token != self.oauth.access_token:
            await self._send(client, ":tmi.twitch.tv NOTICE * :Login authentication failed")
            await client.ws.close()
            return
        client.nick = nick
        await self._send(client, *irc.welcome(nick))

    async def _join(self, client: _Client, channel: str) -> None:
        client.channels.add(channel)
        await self._send(client, *irc.joined(client.nick, channel))

    async def _say(self, channel: str, user: str, text: str, sent_at: float | None, **badges: bool) -> None:
        self.delivered += 1
        line = irc.privmsg(channel, user, text, user_id=next(self._ids), sent_at=sent_at, **badges)
        if not await self._deliver(channel, line):
            with self._lock:
                self._undelivered.append((channel, user, text))

    async def _deliver(self, channel: str, line: str) -> int:
        """Send `line` to the clients in `channel`; return how many it was written to."""
        with self._lock:
            clients = [c for c in self._clients if channel in c.channels]
        sent = 0
        for client in clients:
            sent += await self._send(client, line)
        return sent

    async def _replay(self, channel: str, lines: list[tuple[str, str]], rate: float,
                      on_line: Callable[[int], None] | None) -> int:
        start = time.monotonic()
        for index, (user, text) in enumerate(lines):
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self._say(channel, user, text, None)
            if on_line is not None:
                on_line(index + 1)
        return len(lines)

    async def _drop(self) -> int:
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            await client.ws.close()
        return len(clients)

    async def _ping_forever(self) -> None:
        while True:
            await asyncio.sleep(self.ping_interval_s)
            with self._lock:
                clients = list(self._clients)
            for client in clients:
                await self._send(client, "PING :tmi.twitch.tv")
