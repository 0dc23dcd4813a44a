"""Two checkpoints on the default scoring path, in one run: `python -m benchmarks.modelspeed OLD NEW`.

Issue #10 asks that a new shipped model keep `twitch-mood bench`'s throughput within 10% of the
one before it. Speed drifts between runs on a shared machine, so both models are loaded into one
process and measured in interleaved rounds (OLD, NEW, OLD, NEW, ...) on the same corpus sample,
through the ScoringService with the config's defaults. Then each model's open-loop latency at
200 msg/s offered (issue #14's p99 rate) for `--latency_seconds`, one after the other. Prints
one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
from dataclasses import replace
from typing import Any

from bot.config import ModelConfig
from model.bench import DEFAULT_RATES, open_loop_latency, sample_messages, throughput
from model.machine import machine_info
from model.paths import default_corpus
from model.scorer import Scorer
from model.service import ScoringService

RATE = DEFAULT_RATES[1]  # 200 msg/s, issue #14's p99 rate


async def measure(models: list[str], messages: int, rounds: int,
                  latency_seconds: float = 10.0) -> dict[str, Any]:
    settings = ModelConfig()
    texts = sample_messages(default_corpus(), messages, seed=0)
    scorers = {m: Scorer.from_settings(replace(settings, path=m)) for m in models}  # as the bot loads it
    for scorer in scorers.values():
        scorer.predict(texts[:settings.max_batch])  # warm-up
    speeds: dict[str, list[float]] = {m: [] for m in models}
    for _ in range(rounds):
        for model, scorer in scorers.items():
            speeds[model].append(await throughput(scorer, texts, max_batch=settings.max_batch,
                                                  max_wait_ms=settings.max_wait_ms))
    paths = {m: {"msgs_per_s": round(statistics.fmean(v), 1), "rounds": [round(x, 1) for x in v],
                 "precision": scorers[m].precision, "workers": scorers[m].pool.workers,
                 "vocabulary": len(scorers[m].tokenizer)} for m, v in speeds.items()}
    for model, scorer in scorers.items() if latency_seconds > 0 else ():
        async with ScoringService(scorer, max_batch=settings.max_batch, max_wait_ms=settings.max_wait_ms,
                                  queue_size=settings.queue_size, overload=settings.overload) as service:
            paths[model][f"latency_at_{RATE:g}"] = await open_loop_latency(
                service, texts, RATE, latency_seconds, random.Random(0))
    first, last = (paths[m]["msgs_per_s"] for m in (models[0], models[-1]))
    for scorer in scorers.values():
        scorer.close()
    return {"models": paths, "ratio_last_to_first": round(last / first, 3), "messages": len(texts),
            "rounds": rounds, "machine": machine_info()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.modelspeed",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("models", nargs=2, help="two checkpoint directories (or 'default')")
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--latency_seconds", type=float, default=10.0,
                        help=f"seconds of {RATE:g} msg/s offered to each model for its latency (0: none)")
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.models, args.messages, args.rounds, args.latency_seconds))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
