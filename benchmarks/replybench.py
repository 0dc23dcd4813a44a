"""How fast an idle bot answers: `python -m benchmarks.replybench [--probes 50]`.

The real bot (a keyword stand-in for the model, so only the chat path is timed) runs against the
local Twitch-compatible server with no chat traffic; a viewer asks `!hype` every 0.5 s, and the
time from the server sending the command to it receiving the reply is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.app import running_bot
from bot.sender import SendLimits
from localtwitch.demo import local_config
from localtwitch.server import LocalTwitchServer
from model.machine import machine_info
from mood.labels import Score

CHANNEL = "replybench"


class NeutralPredictor:
    """Every message neutral: the model is not what this measures."""

    def predict(self, texts: Sequence[str]) -> list[Score]:
        return [Score.from_probs(0.1, 0.8, 0.1) for _ in texts]


async def measure(probes: int, gap_s: float) -> dict[str, Any]:
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="twitch-mood-reply-") as tmp, LocalTwitchServer() as server:
        no_cooldown = {name: {"cooldown_s": 0} for name in ("mood", "hype")}
        config = local_config(server, Path(tmp), CHANNEL, commands=no_cooldown)
        loop = asyncio.get_running_loop()
        # More probes than Twitch's 20 per 30 s: lift the limit, which is not what this measures.
        async with running_bot(config, predictor=NeutralPredictor(), limits=SendLimits(user=10_000)):
            while not server.joined(CHANNEL):
                await asyncio.sleep(0.05)
            for i in range(probes):
                await asyncio.sleep(gap_s)
                before = len(server.sent_texts(CHANNEL))
                asked = time.monotonic()
                await loop.run_in_executor(None, server.say, CHANNEL, f"viewer{i}", "!hype")
                while len(server.sent_texts(CHANNEL)) == before and time.monotonic() - asked < 10:
                    await asyncio.sleep(0.001)
                latencies.append(time.monotonic() - asked)
    ordered = sorted(latencies)
    return {
        "probes": probes, "gap_s": gap_s,
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1), "machine": machine_info(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replybench", description=__doc__)
    parser.add_argument("--probes", type=int, default=50, help="commands to time (default 50)")
    parser.add_argument("--gap", type=float, default=0.5, help="idle seconds before each (default 0.5)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.probes, args.gap)), indent=2))


if __name__ == "__main__":
    main()
