"""How long `twitch-mood analyze` takes on a long stream: `python -m benchmarks.analyzebench`.

Builds a TwitchDownloader chat JSON of `--messages` real chat lines (the shared corpus in
recording order, wrapping around when it runs out) arriving at `--rate` msg/s on average, then
runs the same steps as `twitch-mood analyze` on it and prints one JSON object with the time of
each step. `--unique` appends a counter to every line, so no two texts repeat: the worst case
for the scorer, which scores each distinct text once.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import tempfile
import time
from pathlib import Path

from analysis.analyze import analyze, write_report
from analysis.chatlog import read_chat_log
from bot.config import ChatConfig, MoodConfig
from model.machine import machine_info, peak_rss_mib
from model.paths import default_corpus
from model.scorer import Scorer


def build_log(path: Path, corpus: Path, messages: int, rate: float, unique: bool, seed: int = 0) -> None:
    """Write a TwitchDownloader-shaped chat JSON of `messages` corpus lines."""
    with corpus.open(encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for line in handle if line.strip()]
    rng = random.Random(seed)
    offset, comments = 0.0, []
    for i, text in enumerate(itertools.islice(itertools.cycle(lines), messages)):
        offset += rng.expovariate(rate)
        text = f"{text} {i}" if unique else text
        comments.append({"_id": f"c{i}", "content_offset_seconds": round(offset, 3),
                         "commenter": {"display_name": f"viewer{rng.randrange(5000):05d}", "name": "viewer"},
                         "message": {"body": text, "fragments": [{"text": text, "emoticon": None}]}})
    path.write_text(json.dumps({"FileInfo": {"Version": {"Major": 1, "Minor": 4, "Patch": 1}},
                                "video": {"start": 0, "end": round(offset)}, "comments": comments}),
                    encoding="utf-8")


def run(args: argparse.Namespace) -> dict:
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="twitch-mood-analyzebench-") as tmp:
        log_path = Path(tmp) / "stream.json"
        build_log(log_path, Path(args.corpus) if args.corpus else default_corpus(), args.messages, args.rate,
                  args.unique)
        started = time.perf_counter()
        log = read_chat_log(log_path)
        timings["read"] = time.perf_counter() - started
        step = time.perf_counter()
        scorer = Scorer.load(args.model, precision=args.precision, workers=0)
        timings["load_model"] = time.perf_counter() - step
        analysis = asyncio.run(analyze(log, scorer, mood=MoodConfig(), chat=ChatConfig()))
        write_report(analysis, Path(tmp) / "out")
        timings.update(analysis.timings)
        total = time.perf_counter() - started
    return {
        "messages": len(analysis.messages), "distinct_texts": analysis.distinct,
        "stream_length": round(log.duration), "seconds": {k: round(v, 2) for k, v in timings.items()},
        "total_seconds": round(total, 1), "messages_per_second": round(len(analysis.messages) / total),
        "swings": len(analysis.swings),
        "peak_rss_mib": round(peak_rss_mib()),
        "model": scorer.name, "device": str(scorer.device), "precision": scorer.precision,
        "machine": machine_info(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.analyzebench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000, help="messages in the log (default 100000)")
    parser.add_argument("--rate", type=float, default=10.0, help="average msg/s of the stream (default 10)")
    parser.add_argument("--model", default="default", help="model directory (default: the shipped model)")
    parser.add_argument("--corpus", help="one message a line (default: the shared corpus)")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                        help="as model.precision (default auto)")
    parser.add_argument("--unique", action="store_true", help="make every text distinct (worst case)")
    print(json.dumps(run(parser.parse_args(argv)), indent=2))


if __name__ == "__main__":
    main()
