"""Live updates for the overlays over WebSocket: every second one snapshot per channel that has
viewers, and each sent swing alert at once. A slow or stuck browser never holds anything up:
each client has a slot for the latest snapshot and a short queue of alerts, drained by its own
task; the push loop only fills slots. A client that does not take a message within the send
timeout is disconnected (its page reconnects by itself)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger("twitch_mood.web")

PUSH_INTERVAL_S = 1.0
SEND_TIMEOUT_S = 5.0
MAX_QUEUED_ALERTS = 5

Snapshot = Callable[[str, float], Awaitable[dict[str, Any]]]


class _Client:
    def __init__(self, ws: web.WebSocketResponse, key: str) -> None:
        self.ws, self.key = ws, key
        self.snapshot: dict[str, Any] | None = None
        self.alerts: deque[dict[str, Any]] = deque(maxlen=MAX_QUEUED_ALERTS)
        self.ready = asyncio.Event()


class LiveHub:
    """`serve(request, channel, key)` handles one overlay's WebSocket; `run()` is the push loop."""

    def __init__(self, snapshot: Snapshot, key_valid: Callable[[str], bool]) -> None:
        self.snapshot = snapshot
        self.key_valid = key_valid
        self.clients: dict[str, set[_Client]] = {}

    @property
    def connected(self) -> int:
        return sum(len(c) for c in self.clients.values())

    async def serve(self, request: web.Request, channel: str, key: str) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=30.0)
        await ws.prepare(request)
        client = _Client(ws, key)
        self.clients.setdefault(channel, set()).add(client)
        client.snapshot = {"type": "snapshot", **await self.snapshot(channel, time.time())}  # at once
        client.ready.set()
        sender = asyncio.create_task(self._send_forever(client))
        try:
            async for _ in ws:  # the page sends nothing; this waits for it to go away
                pass
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            self.clients[channel].discard(client)
        return ws

    async def close(self) -> None:
        """Tell every overlay the server is going away (its page reconnects to the next one)."""
        for clients in self.clients.values():
            for client in list(clients):
                await client.ws.close(code=1001, message=b"server going away")

    def alert(self, channel: str, at: float, before: float, after: float, text: str) -> None:
        """Queue a sent swing alert for every overlay of `channel` (never waits)."""
        message = {"type": "alert", "at": at, "before": round(before, 4), "after": round(after, 4),
                   "text": text}
        for client in self.clients.get(channel, ()):
            client.alerts.append(message)
            client.ready.set()

    async def run(self) -> None:
        """Every second: one snapshot per watched channel into each client's slot; stale keys out."""
        while True:
            await asyncio.sleep(PUSH_INTERVAL_S)
            now = time.time()
            for channel, clients in list(self.clients.items()):
                if not clients:
                    continue
                snapshot = {"type": "snapshot", **await self.snapshot(channel, now)}
                for client in list(clients):
                    if not self.key_valid(client.key):  # the key was rotated: this URL is dead
                        await client.ws.close(code=4003, message=b"overlay key rotated")
                        continue
                    client.snapshot = snapshot
                    client.ready.set()

    async def _send_forever(self, client: _Client) -> None:
        while not client.ws.closed:
            await client.ready.wait()
            client.ready.clear()
            messages = list(client.alerts)
            client.alerts.clear()
            if client.snapshot is not None:
                messages.append(client.snapshot)
                client.snapshot = None
            try:
                for message in messages:
                    async with asyncio.timeout(SEND_TIMEOUT_S):
                        await client.ws.send_json(message)
            except (TimeoutError, ConnectionError, RuntimeError):
                log.info("an overlay did not keep up; disconnected it (it reconnects by itself)")
                await client.ws.close()
                return
