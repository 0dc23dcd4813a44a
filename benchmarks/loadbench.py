"""Load benchmark of the whole bot: real chat through the local Twitch-compatible server.

    python -m benchmarks.loadbench [--rate 200] [--seconds 60] [--model default]
    python -m benchmarks.loadbench --soak [--rate 300] [--channels 5] [--seconds 60] [--close-every 10]
                                   [--model default|tiny|DIR]
    python -m benchmarks.loadbench --overlays 50 [--seconds 60]   (benchmarks/overlays.py)

Replays real chat (`../shared/data/chat_stream_2025.csv`, else the bundled demo sample) at a
fixed rate into one channel while a viewer asks `!mood` every few seconds. Reports whether every
countable message reached SQLite (sent == counted), the `!mood` reply latency, and the
process's memory over the run.

`--soak` runs `twitch-mood run` as a separate process over several channels,
closes its connection every `--close-every` seconds, stops it with SIGTERM and checks that every
countable message it could have heard was counted or reported dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.soak import SoakSettings, run_soak
from bot.app import running_bot
from bot.store import Store
from localtwitch.demo import chat_lines, local_config
from localtwitch.server import LocalTwitchServer
from model.machine import machine_info, rss_mib

CHANNEL = "loadtest"
PROBE_EVERY_S = 5.0


async def run(rate: float, seconds: float, model: str, channels: int = 1,
              model_settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """`rate` msg/s in all, spread evenly over `channels`, for `seconds`; a viewer asks `!mood`
    in the first channel every PROBE_EVERY_S. CPU is this process's (bot, server and replay)."""
    lines = chat_lines(int(rate * seconds))
    names = [CHANNEL] + [f"{CHANNEL}{i}" for i in range(1, channels)]
    with tempfile.TemporaryDirectory(prefix="twitch-mood-load-") as tmp, LocalTwitchServer() as server:
        # default windows; no command cooldown, so every probe gets an answer
        config = local_config(server, Path(tmp), names, model=model, model_settings=model_settings,
                              commands={"mood": {"cooldown_s": 0}})
        counts = config.chat_filter().counts
        countable = sum(1 for user, text in lines if counts(user, text))
        latencies: list[float] = []
        memory: list[tuple[float, float]] = []  # (seconds since the replay started, RSS MiB)
        async with running_bot(config) as bot:
            scorer = bot.service.scorer
            scoring = {name: getattr(scorer, attr, None) for name, attr in (
                ("backend", "backend"), ("precision", "precision"), ("precision_timing", "calibration"))}
            loop = asyncio.get_running_loop()
            while not all(server.joined(name) for name in names):
                await asyncio.sleep(0.05)
            started = time.monotonic()
            cpu_started = time.process_time()
            memory.append((0.0, rss_mib()))
            replays = [server.replay(name, lines[i::channels], rate / channels)
                       for i, name in enumerate(names)]
            while not all(r.done() for r in replays):
                await asyncio.sleep(PROBE_EVERY_S)
                before = len(server.sent_texts(CHANNEL))
                asked = time.monotonic()
                await loop.run_in_executor(None, server.say, CHANNEL, "probe_viewer", "!mood")
                while len(server.sent_texts(CHANNEL)) == before and time.monotonic() - asked < 30:
                    await asyncio.sleep(0.01)
                latencies.append(time.monotonic() - asked)
                memory.append((round(time.monotonic() - started, 1), rss_mib()))
            sent = sum(r.result() for r in replays)
            elapsed = time.monotonic() - started
            deadline = time.monotonic() + 60  # scoring may still be catching up
            while bot.stats.scored + bot.stats.dropped < countable and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            cpu_s = time.process_time() - cpu_started
            stats = bot.stats
        counted = 0
        async with Store(config.storage.path) as store:
            for name in names:
                counted += await store.message_count(name)
    rss = [m for _, m in memory]
    after_first_minute = [m for t, m in memory if t >= 60]
    return {
        "rate_offered": rate, "seconds": seconds, "channels": channels, "sent": sent, "countable": countable,
        "scored": stats.scored, "dropped": stats.dropped, "counted_in_sqlite": counted,
        "all_counted": counted == countable, "replay_s": round(elapsed, 1),
        "cpu_s": round(cpu_s, 1), "cpu_ms_per_message": round(1000 * cpu_s / max(1, sent), 3),
        "mood_probes": len(latencies), "mood_latency_max_s": round(max(latencies, default=0), 3),
        "mood_latency_median_s": round(sorted(latencies)[len(latencies) // 2], 3) if latencies else None,
        "rss_mib_start": round(rss[0], 1), "rss_mib_max": round(max(rss), 1),
        "rss_mib_end": round(rss[-1], 1),
        "rss_mib_series": [[t, round(m)] for t, m in memory],
        # a plateau: after the first minute, the highest RSS over the lowest (issue #14: within 10%)
        "rss_after_first_minute_max_over_min": (round(max(after_first_minute) / min(after_first_minute), 3)
                                                if after_first_minute else None),
        "model": model, "model_settings": model_settings or {}, "scoring": scoring, "machine": machine_info(),
    }


def _counts(value: str) -> list[int]:
    try:
        counts = [int(v) for v in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a channel count or a list like 1,10,50, got {value!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("channel counts must be at least 1")
    return counts


def per_channel(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """What each channel beyond the first costs, between the fewest and the most channels."""
    runs = sorted(runs, key=lambda r: r["channels"])
    few, many = runs[0], runs[-1]
    extra = many["channels"] - few["channels"]
    if extra <= 0:
        return {}
    return {"cpu_ms_per_message_per_extra_channel": round(
                (many["cpu_ms_per_message"] - few["cpu_ms_per_message"]) / extra, 4),
            "rss_mib_per_extra_channel": round((many["rss_mib_max"] - few["rss_mib_max"]) / extra, 2),
            "mood_latency_median_s": {r["channels"]: r["mood_latency_median_s"] for r in runs}}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, help="messages per second in all (default 200; soak 300)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to send (default 60)")
    parser.add_argument("--model", default="default",
                        help="model directory or 'default'; with --soak also 'tiny' (random, for quick runs)")
    parser.add_argument("--soak", action="store_true",
                        help="bot as a process, several channels, connection closed periodically, SIGTERM")
    parser.add_argument("--channels", type=_counts, default=None,
                        help="channels the rate is spread over; a list (1,10,50) runs each in turn "
                             "(default 1; soak 5)")
    parser.add_argument("--backend", choices=("auto", "torch", "onnx"), help="model.backend for the bot")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), help="model.precision for the bot")
    parser.add_argument("--close-every", type=float, default=10.0,
                        help="soak: seconds between server-side connection closes (default 10)")
    parser.add_argument("--overlays", type=int, metavar="N",
                        help="scoring throughput with and without N overlay clients (rate default 700)")
    args = parser.parse_args()
    if args.overlays:
        from benchmarks.overlays import run_overlays

        rate = args.rate or 700.0  # just above what 2 cores score: saturated, not flooded
        result = asyncio.run(run_overlays(chat_lines(int(rate * args.seconds)), rate, args.seconds,
                                          args.overlays, args.model))
    elif args.soak:
        settings = SoakSettings(rate=args.rate or 300.0, channels=(args.channels or [5])[0],
                                seconds=args.seconds, close_every_s=args.close_every, model=args.model)
        result = run_soak(settings)
    else:
        model_settings = {k: v for k, v in (("backend", args.backend), ("precision", args.precision)) if v}
        runs = [asyncio.run(run(args.rate or 200.0, args.seconds, args.model, n, model_settings))
                for n in args.channels or [1]]
        result = runs[0] if len(runs) == 1 else {"runs": runs, "per_channel": per_channel(runs)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
