"""Live overlay updates: a stuck browser is disconnected and never holds up the others."""

from __future__ import annotations

import asyncio
from typing import Any

from web import live
from web.live import LiveHub, _Client


class FakeSocket:
    def __init__(self, stuck: bool = False) -> None:
        self.stuck, self.closed = stuck, False
        self.sent: list[dict[str, Any]] = []

    async def send_json(self, message: dict[str, Any]) -> None:
        if self.stuck:
            await asyncio.sleep(3600)  # a browser that stopped reading
        self.sent.append(message)

    async def close(self, **kwargs: Any) -> None:
        self.closed = True


async def test_a_stuck_client_is_dropped_and_the_others_keep_getting_updates(monkeypatch):
    monkeypatch.setattr(live, "SEND_TIMEOUT_S", 0.2)
    monkeypatch.setattr(live, "PUSH_INTERVAL_S", 0.05)
    snapshots = 0

    async def snapshot(channel: str, now: float) -> dict[str, Any]:
        nonlocal snapshots
        snapshots += 1
        return {"channel": channel, "n": snapshots}

    hub = LiveHub(snapshot, key_valid=lambda key: True)
    stuck, healthy = _Client(FakeSocket(stuck=True), "k"), _Client(FakeSocket(), "k")  # type: ignore[arg-type]
    hub.clients["chan"] = {stuck, healthy}
    tasks = [asyncio.create_task(hub._send_forever(c)) for c in (stuck, healthy)]
    pusher = asyncio.create_task(hub.run())
    hub.alert("chan", 1.0, 0.4, -0.3, "Mood swing!")
    await asyncio.sleep(0.6)
    pusher.cancel()
    for task in tasks:
        task.cancel()
    await asyncio.gather(pusher, *tasks, return_exceptions=True)
    assert stuck.ws.closed and not healthy.ws.closed
    kinds = [m["type"] for m in healthy.ws.sent]  # type: ignore[attr-defined]
    assert kinds[0] == "alert" and kinds.count("snapshot") >= 5  # the stuck one held nothing up


async def test_a_rotated_key_closes_the_clients_that_use_the_old_one():
    async def snapshot(channel: str, now: float) -> dict[str, Any]:
        return {"channel": channel}

    hub = LiveHub(snapshot, key_valid=lambda key: key == "new")
    old, new = _Client(FakeSocket(), "old"), _Client(FakeSocket(), "new")  # type: ignore[arg-type]
    hub.clients["chan"] = {old, new}
    pusher = asyncio.create_task(hub.run())
    await asyncio.sleep(1.2)
    pusher.cancel()
    await asyncio.gather(pusher, return_exceptions=True)
    assert old.ws.closed and not new.ws.closed
