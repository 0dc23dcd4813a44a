"""Load benchmark of the whole bot: real chat through the local Twitch-compatible server.

    python -m benchmarks.loadbench [--rate 200] [--seconds 60] [--model default]

Replays real chat (`../shared/data/chat_stream_2025.csv`, else the bundled demo sample) at a
fixed rate into one channel while a viewer asks `!mood` every few seconds. Reports whether every
countable message reached SQLite (sent == counted), the `!mood` reply latency, and the
process's memory over the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.app import running_bot
from bot.store import Store
from localtwitch.demo import SAMPLE, local_config, read_sample
from localtwitch.server import LocalTwitchServer
from model.machine import rss_mib
from model.paths import shared_data_dir

CHANNEL = "loadtest"
PROBE_EVERY_S = 5.0


def chat_lines(count: int) -> list[tuple[str, str]]:
    source = shared_data_dir() / "chat_stream_2025.csv"
    path = source if source.is_file() else SAMPLE
    rows = read_sample(path)
    return [rows[i % len(rows)] for i in range(count)]


async def run(rate: float, seconds: float, model: str) -> dict[str, Any]:
    lines = chat_lines(int(rate * seconds))
    with tempfile.TemporaryDirectory(prefix="twitch-mood-load-") as tmp, LocalTwitchServer() as server:
        # default windows; no command cooldown, so every probe gets an answer
        config = local_config(server, Path(tmp), CHANNEL, model=model, mood={"command_cooldown_s": 0})
        counts = config.chat_filter().counts
        countable = sum(1 for user, text in lines if counts(user, text))
        latencies: list[float] = []
        memory: list[float] = []
        async with running_bot(config) as bot:
            loop = asyncio.get_running_loop()
            while not server.joined(CHANNEL):
                await asyncio.sleep(0.05)
            memory.append(rss_mib())
            replay = server.replay(CHANNEL, lines, rate)
            started = time.monotonic()
            while not replay.done():
                await asyncio.sleep(PROBE_EVERY_S)
                before = len(server.sent_texts(CHANNEL))
                asked = time.monotonic()
                await loop.run_in_executor(None, server.say, CHANNEL, "probe_viewer", "!mood")
                while len(server.sent_texts(CHANNEL)) == before and time.monotonic() - asked < 30:
                    await asyncio.sleep(0.01)
                latencies.append(time.monotonic() - asked)
                memory.append(rss_mib())
            sent = replay.result()
            elapsed = time.monotonic() - started
            deadline = time.monotonic() + 60  # scoring may still be catching up
            while bot.stats.scored + bot.stats.dropped < countable and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            stats = bot.stats
        async with Store(config.storage.path) as store:
            counted = await store.message_count(CHANNEL)
    return {
        "rate_offered": rate, "seconds": seconds, "sent": sent, "countable": countable,
        "scored": stats.scored, "dropped": stats.dropped, "counted_in_sqlite": counted,
        "all_counted": counted == countable, "replay_s": round(elapsed, 1),
        "mood_probes": len(latencies), "mood_latency_max_s": round(max(latencies, default=0), 3),
        "mood_latency_median_s": round(sorted(latencies)[len(latencies) // 2], 3) if latencies else None,
        "rss_mib_start": round(memory[0], 1), "rss_mib_max": round(max(memory), 1),
        "rss_mib_end": round(memory[-1], 1), "rss_mib_series": [round(m) for m in memory], "model": model,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="messages per second (default 200)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to send (default 60)")
    parser.add_argument("--model", default="default", help="model directory or 'default'")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.rate, args.seconds, args.model)), indent=2))


if __name__ == "__main__":
    main()
