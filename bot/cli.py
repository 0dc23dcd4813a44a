"""The `twitch-mood` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bot.auth import AuthError
from bot.config import Config, ConfigError, describe_config, load_config, parse_config
from bot.logs import setup_logging
from model.errors import ModelLoadError
from training.cli import add_commands as add_training_commands

log = logging.getLogger("twitch_mood")

DEFAULT_CONFIG = Path("config.yaml")
TINY_MODEL = "tiny"


def resolve_config(path: str | None) -> Config:
    """An explicit --config must exist; otherwise ./config.yaml if present, else defaults."""
    if path is not None:
        return load_config(path)
    if DEFAULT_CONFIG.is_file():
        return load_config(DEFAULT_CONFIG)
    return parse_config(None, source="built-in defaults")


def _load_scorer(config: Config, model_path: str | None, *, bulk: bool = False):
    from model.scorer import Scorer

    settings = config.model
    return Scorer.load(model_path or settings.path, device=settings.device,
                       quantize=settings.quantize, precision=settings.precision, bulk=bulk,
                       max_length=settings.max_length, threads=settings.threads)


def cmd_config_check(args: argparse.Namespace) -> int:
    config = resolve_config(args.config)
    print(describe_config(config), end="")
    print(f"config OK: {len(config.channels)} channel(s)", file=sys.stderr)
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    config = resolve_config(args.config)
    if not args.texts and sys.stdin.isatty():
        raise ValueError("give texts to score, or pipe messages in, one per line")
    texts = args.texts or [line.rstrip("\n") for line in sys.stdin]
    scorer = _load_scorer(config, args.model)
    for text, score in zip(texts, scorer.predict(texts), strict=True):
        if args.json:
            print(json.dumps({"text": text, **dataclasses.asdict(score)}, ensure_ascii=False))
        else:
            print(f"{score.label:<8} {score.value:+.2f}  {text}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from model.bench import BenchSettings, format_report, run_benchmark, sample_messages
    from model.paths import default_corpus

    config = resolve_config(args.config)
    corpus = Path(args.corpus) if args.corpus else default_corpus()
    if not corpus.is_file():
        raise FileNotFoundError(f"corpus {corpus} not found; pass --corpus FILE (one message a line)")
    texts = sample_messages(corpus, args.messages, seed=0)
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
        scorer = _load_scorer(config, model_path)
        if args.model == TINY_MODEL:
            scorer.name = "tiny random test model (2 layers x 32)"
        if not args.json:
            print(f"benchmarking {scorer.name} on {len(texts)} messages from {corpus} ...",
                  file=sys.stderr)
        result = asyncio.run(run_benchmark(scorer, texts, settings))
    print(json.dumps(result) if args.json else format_report(result))
    return 0


def cmd_auth(args: argparse.Namespace) -> int:
    from bot.auth import device_login

    asyncio.run(device_login(resolve_config(args.config)))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import run_until_signal

    asyncio.run(run_until_signal(resolve_config(args.config)))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo, summary

    if args.speed <= 0:
        raise ValueError("--speed must be positive")
    if not args.verbose:  # the transcript is the output; keep library chatter out of it
        logging.getLogger().setLevel(logging.WARNING)
    stats, sent, elapsed = asyncio.run(run_demo(speed=args.speed, limit=args.limit, channel=args.channel,
                                                model=args.model))
    print(summary(stats, sent, elapsed))
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from bot.analyze import analyze, summary, write_report
    from bot.chatlog import read_chat_log

    started = time.perf_counter()
    config = resolve_config(args.config)
    log_file = read_chat_log(args.log, assumed_rate=args.rate)  # bad input fails before the model loads
    out = Path(args.out) if args.out else Path(f"{Path(args.log).name.split('.')[0] or 'chat'}-mood")
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; give a directory for the report")
    scorer = _load_scorer(config, args.model, bulk=True)
    chat = config.chat
    if config.twitch.bot_login:  # the bot's own replies in a recorded log are not chat's mood
        chat = dataclasses.replace(chat, ignore_users=(*chat.ignore_users, config.twitch.bot_login))
    analysis = asyncio.run(analyze(log_file, scorer, mood=config.mood, chat=chat, bucket_s=args.bucket,
                                   top=args.top, stream=sys.stderr))
    try:
        paths = write_report(analysis, out)
    except OSError as exc:
        raise ValueError(f"cannot write the report to {out}: {exc.strerror or exc}") from None
    print(summary(analysis, paths))
    print(f"done in {time.perf_counter() - started:.1f} s (model {scorer.name}, {scorer.precision} on "
          f"{scorer.device})")
    return 0


_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$")


def _duration(value: str) -> float:
    """'30s', '1m', '2m30s', '1h' or plain seconds."""
    match = _DURATION.match(value.strip().lower())
    seconds = (float(match[1] or 0) * 3600 + float(match[2] or 0) * 60 + float(match[3] or 0)) if match else 0
    if not match or seconds < 1:
        raise argparse.ArgumentTypeError(f"expected a duration of at least 1 s (30s, 2m, 90), got {value!r}")
    return seconds


def _positive(kind: type) -> object:
    def parse(value: str):
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {value!r}") from None
        if number <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {value!r}")
        return number
    return parse


def _rates(value: str) -> tuple[float, ...]:
    try:
        rates = tuple(float(v) for v in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated rates like 50,200,1000, got {value!r}"
        ) from None
    if not rates or any(r <= 0 for r in rates):
        raise argparse.ArgumentTypeError("rates must be positive")
    return rates


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH",
                        help="config file (default: ./config.yaml if present, else built-in defaults)")
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging")

    parser = argparse.ArgumentParser(prog="twitch-mood", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    config_cmd = sub.add_parser("config", help="configuration tools")
    config_sub = config_cmd.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = config_sub.add_parser("check", parents=[common],
                                  help="validate the config and print the effective settings")
    check.set_defaults(func=cmd_config_check)

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
    bench.add_argument("--messages", type=int, default=3000,
                       help="messages per throughput run (default 3000)")
    bench.add_argument("--seconds", type=float, default=5.0, help="seconds per offered rate (default 5)")
    bench.add_argument("--rates", type=_rates, default=(50.0, 200.0, 1000.0),
                       help="offered rates in msg/s (default 50,200,1000)")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.set_defaults(func=cmd_bench)

    auth = sub.add_parser("auth", parents=[common],
                          help="log the bot in to Twitch (device code) and store the token")
    auth.set_defaults(func=cmd_auth)
    run = sub.add_parser("run", parents=[common], help="run the bot in the configured channels until Ctrl+C")
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", parents=[common],
                          help="run the bot against a local Twitch server replaying real chat")
    demo.add_argument("--speed", type=float, default=1.0, help="replay speed (1 = 50 msg/s)")
    demo.add_argument("--limit", type=int, default=None, help="replay only the first N sample lines")
    demo.add_argument("--channel", default="demo_channel", help="channel name to use")
    demo.add_argument("--model", default="default", help="model directory (default: the shipped model)")
    demo.set_defaults(func=cmd_demo)

    analyze = sub.add_parser("analyze", parents=[common],
                             help="turn a recorded chat log into a mood timeline, top moments and a plot")
    analyze.add_argument("log", metavar="LOG",
                         help="TwitchDownloader JSON (.json/.json.gz), chat-downloader JSON/JSONL, or CSV")
    analyze.add_argument("--out", metavar="DIR", help="output directory (default: LOGNAME-mood)")
    analyze.add_argument("--bucket", type=_duration, default=30.0, metavar="DURATION",
                         help="timeline bucket, e.g. 30s, 1m (default 30s)")
    analyze.add_argument("--model", metavar="PATH", help="model directory or 'default' (default: config)")
    analyze.add_argument("--top", type=_positive(int), default=5, metavar="N",
                         help="hype peaks and swings to list (default 5 each)")
    analyze.add_argument("--rate", type=_positive(float), default=10.0, metavar="MSG_PER_S",
                         help="for logs without times: messages per second to assume (default 10)")
    analyze.set_defaults(func=cmd_analyze)

    add_training_commands(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    try:
        return args.func(args)
    except (ConfigError, ModelLoadError, AuthError, FileNotFoundError, ValueError) as exc:
        print(f"twitch-mood: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
