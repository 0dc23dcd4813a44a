"""What overlay viewers cost the bot: `python -m benchmarks.loadbench --overlays 50`.

The real bot scores chat offered a little faster than it can score (so its throughput is the
measure) in five phases of equal length, alternating: no overlay clients, `clients` overlay
WebSockets taking every update, none, `clients`, none. The clients run in this process, so
their own work counts against the bot too (a conservative figure). Reported: messages scored
per second in each phase, and the cost of the clients as a share of the mean throughput without
them (negative: within the noise). Scoring completes in batches of up to 256, so a 30 s phase
resolves about 9 msg/s.
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
    plan = (0, clients, 0, clients, 0)  # alternating, so drift over the run cancels out
    phase_s = seconds / len(plan)
    throughput: dict[int, list[float]] = {0: [], clients: []}
    received: list[int] = []
    with tempfile.TemporaryDirectory(prefix="twitch-mood-overlays-") as tmp, LocalTwitchServer() as server:
        config = local_config(server, Path(tmp), CHANNEL, model=model)
        async with running_bot(config) as bot, aiohttp.ClientSession() as session:
            while not server.joined(CHANNEL):
                await asyncio.sleep(0.05)
            assert bot.web is not None, "the web server did not start"
            url = f"{bot.web.url}ws/{CHANNEL}?key={bot.web.key.current()}"
            replay = server.replay(CHANNEL, lines, rate)
            await asyncio.sleep(2.0)  # let the queue fill: scoring runs flat out from here on
            for count in plan:
                sockets = [await session.ws_connect(url) for _ in range(count)]
                readers = [asyncio.create_task(_read(ws, received)) for ws in sockets]
                throughput[count].append(await _phase(bot, phase_s))
                for task in readers:
                    task.cancel()
                await asyncio.gather(*readers, return_exceptions=True)
                for ws in sockets:
                    await ws.close()
            replay.cancel()
            dropped = bot.stats.dropped
    without, with_clients = (sum(throughput[k]) / len(throughput[k]) for k in (0, clients))
    return {
        "overlay_clients": clients, "phases": list(plan), "phase_s": round(phase_s, 1), "rate_offered": rate,
        "scored_per_s_without": round(without, 1), "scored_per_s_with_clients": round(with_clients, 1),
        "scored_per_s_phases": {str(k): [round(t, 1) for t in v] for k, v in throughput.items()},
        "overlay_cost_share": round(1 - with_clients / without, 4) if without else None,
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
