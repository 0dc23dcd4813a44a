"""`twitch-mood score` and `twitch-mood bench` (registered by bot/cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mood.argtypes import positive
from mood.errors import UsageError

log = logging.getLogger("twitch_mood")

TINY_MODEL = "tiny"


def cmd_score(args: argparse.Namespace) -> int:
    from bot.config import resolve_config
    from model.scorer import Scorer

    config = resolve_config(args.config)
    if not args.texts and sys.stdin.isatty():
        raise UsageError("give texts to score, or pipe messages in, one per line")
    texts = args.texts or _stdin_lines(sys.stdin)
    scorer = Scorer.from_settings(config.model, path=args.model)
    for text, score in zip(texts, scorer.predict(texts), strict=True):
        if args.json:
            print(json.dumps({"text": text, **dataclasses.asdict(score)}, ensure_ascii=False))
        else:
            print(f"{score.label:<8} {score.value:+.2f}  {text}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from bot.config import resolve_config
    from model.bench import BenchSettings, format_report, run_benchmark, sample_messages
    from model.paths import default_corpus
    from model.scorer import Scorer

    config = resolve_config(args.config)
    corpus = Path(args.corpus) if args.corpus else default_corpus()
    if not corpus.is_file():
        raise UsageError(f"corpus {corpus} not found; pass --corpus FILE (one message a line)")
    texts = sample_messages(corpus, args.messages, seed=0)
    if args.compare:
        return _compare(args, config, texts)
    settings = BenchSettings(
        max_batch=config.model.max_batch, max_wait_ms=config.model.max_wait_ms,
        queue_size=config.model.queue_size, overload=config.model.overload,
        messages=args.messages, seconds=args.seconds, rates=args.rates,
    )
    with tempfile.TemporaryDirectory(prefix="twitch-mood-tiny-") as tmp:
        model_path = args.model
        if model_path == TINY_MODEL:
            from model.tiny import build_tiny_model

            log.info("building the tiny random test model (timings only, labels meaningless)")
            model_path = str(build_tiny_model(tmp, texts))
        scorer = Scorer.from_settings(config.model, path=model_path)
        if args.model == TINY_MODEL:
            scorer.name = "tiny random test model (2 layers x 32)"
        if not args.json:
            print(f"benchmarking {scorer.name} on {len(texts)} messages from {corpus} ...",
                  file=sys.stderr)
        result = asyncio.run(run_benchmark(scorer, texts, settings))
    print(json.dumps(result) if args.json else format_report(result))
    return 0


def _compare(args: argparse.Namespace, config: Any, texts: list[str]) -> int:
    from model.compare import compare, format_compare, labeled_splits
    from model.paths import shared_data_dir

    data = Path(args.data) if args.data else shared_data_dir() / "labeled_2025.csv"
    if not data.is_file():
        raise UsageError(f"labeled data {data} not found; pass --data FILE (with a dev and a test split)")
    model = args.model or config.model.path
    if model == TINY_MODEL:
        raise UsageError("--compare needs a trained model (its labels are compared); not 'tiny'")
    if not args.json:
        print(f"comparing scoring paths of {model} on {len(texts)} messages ...", file=sys.stderr)
    result = asyncio.run(compare(model, texts, labeled_splits(data), max_batch=config.model.max_batch,
                                 max_wait_ms=config.model.max_wait_ms, seconds=args.seconds,
                                 threads=config.model.threads))
    print(json.dumps(result) if args.json else format_compare(result))
    return 0


def _stdin_lines(stream: Iterable[str]) -> list[str]:
    """Piped messages, one a line, as typed: without the line ending (a Windows `\\r\\n` too)
    or a byte-order mark before the first."""
    lines = [line.rstrip("\r\n") for line in stream]
    if lines:
        lines[0] = lines[0].removeprefix("\ufeff")
    return lines


def _rates(value: str) -> tuple[float, ...]:
    """Comma-separated positive rates (`50,200,1000`)."""
    return tuple(float(positive(float)(v)) for v in value.split(","))


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register `score` and `bench`."""
    score = sub.add_parser("score", parents=[common],
                           help="score texts (or stdin lines) and print label and value")
    score.add_argument("texts", nargs="*", metavar="TEXT")
    score.add_argument("--model", metavar="PATH",
                       help="model directory, 'default' or hub name (default: config)")
    score.add_argument("--json", action="store_true", help="one JSON object per text")
    score.set_defaults(func=cmd_score)

    bench = sub.add_parser("bench", parents=[common], help="measure scoring throughput and latency")
    bench.add_argument("--model", metavar="PATH",
                       help=f"model directory, 'default', or '{TINY_MODEL}' (random 2-layer test model)")
    bench.add_argument("--corpus", metavar="FILE",
                       help="messages to score, one per line (default: the shared corpus)")
    bench.add_argument("--messages", type=positive(int), default=3000,
                       help="messages per throughput run (default 3000)")
    bench.add_argument("--seconds", type=positive(float), default=5.0,
                       help="seconds per offered rate (default 5)")
    bench.add_argument("--rates", type=_rates, default=(50.0, 200.0, 1000.0),
                       help="offered rates in msg/s (default 50,200,1000)")
    bench.add_argument("--compare", action="store_true",
                       help="today's fp32 path against bf16, buckets and ONNX Runtime: speed, latency "
                            "at 200 msg/s and labels on the dev and test splits, in one run")
    bench.add_argument("--data", metavar="FILE",
                       help="labeled CSV for --compare (default: the shared labeled set)")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.set_defaults(func=cmd_bench)
