"""What overlay viewers cost the bot: `python -m benchmarks.loadbench --overlays 50`.

The real bot scores chat offered faster than it can score (so its throughput is the measure)
in three phases of equal length: no overlay clients, `clients` overlay WebSockets taking every
update, none again. The clients run in this process, so their own work counts against the bot
too (a conservative figure). Reported: messages scored per second in each phase, and the cost of
the clients as a share of the mean throughput without them.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import running_bot
from localtwitch.demo import local_config
from localtwitch.server import LocalTwitchServer
from model.machine import machine_info

CHANNEL = "overlaytest"


async def run_overlays(lines: list[tuple[str, str]], rate: float, seconds: float, clients: int,
                       model: str) -> dict[str, Any]:
    phase_s = seconds / 3
    with tempfile.TemporaryDirectory(prefix="twitch-mood-overlays-") as tmp, LocalTwitchServer() as server:
        config = local_config(server, Path(tmp), CHANNEL, model=model)
        async with running_bot(config) as bot:
            while not server.joined(CHANNEL):
                await asyncio.sleep(0.05)
            assert bot.web is not None, "the web server did not start"
            url = f"{bot.web.url}ws/{CHANNEL}?key={bot.web.key.current()}"
            replay = server.replay(CHANNEL, lines, rate)
            await asyncio.sleep(2.0)  # let the queue fill: scoring runs flat out from here on
            throughput = [await _phase(bot, phase_s)]
            received: list[int] = []
            async with aiohttp.ClientSession() as session:
                sockets = [await session.ws_connect(url) for _ in range(clients)]
                readers = [asyncio.create_task(_read(ws, received)) for ws in sockets]
                throughput.append(await _phase(bot, phase_s))
                for task in readers:
                    task.cancel()
                await asyncio.gather(*readers, return_exceptions=True)
                for ws in sockets:
                    await ws.close()
            throughput.append(await _phase(bot, phase_s))
            server.refuse_connections = True
            replay.cancel()
            dropped = bot.stats.dropped
    without = (throughput[0] + throughput[2]) / 2
    return {
        "overlay_clients": clients, "phase_s": round(phase_s, 1), "rate_offered": rate,
        "scored_per_s_without": round(without, 1), "scored_per_s_with_clients": round(throughput[1], 1),
        "scored_per_s_phases": [round(t, 1) for t in throughput],
        "overlay_cost_share": round(max(0.0, 1 - throughput[1] / without), 4) if without else None,
        "updates_received": len(received), "dropped_by_full_queue": dropped, "model": model,
        "machine": machine_info(),
    }


async def _phase(bot: Any, seconds: float) -> float:
    start_count, started = bot.stats.scored, time.monotonic()
    await asyncio.sleep(seconds)
    return (bot.stats.scored - start_count) / (time.monotonic() - started)


async def _read(ws: aiohttp.ClientWebSocketResponse, received: list[int]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                received.append(len(message.data))
