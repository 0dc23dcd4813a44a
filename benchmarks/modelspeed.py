"""Two checkpoints on the default scoring path, in one run: `python -m benchmarks.modelspeed OLD NEW`.

Issue #10 asks that a new shipped model keep `twitch-mood bench`'s throughput within 10% of the
one before it. Speed drifts between runs on a shared machine, so both models are loaded into one
process and measured in interleaved rounds (OLD, NEW, OLD, NEW, ...) on the same corpus sample,
through the ScoringService with the config's defaults. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from dataclasses import replace
from typing import Any

from bot.config import ModelConfig
from model.bench import sample_messages, throughput
from model.machine import machine_info
from model.paths import default_corpus
from model.scorer import Scorer


async def measure(models: list[str], messages: int, rounds: int) -> dict[str, Any]:
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
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(measure(args.models, args.messages, args.rounds)), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
