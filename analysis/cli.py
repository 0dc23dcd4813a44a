"""`twitch-mood analyze` (registered by bot/cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from mood.argtypes import positive
from mood.errors import UsageError

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$")


def cmd_analyze(args: argparse.Namespace) -> int:
    from analysis.analyze import analyze, counted_messages, summary, write_report
    from analysis.chatlog import read_chat_log
    from bot.config import resolve_config
    from model.scorer import Scorer

    started = time.perf_counter()
    config = resolve_config(args.config)
    log_file = read_chat_log(args.log, assumed_rate=args.rate)  # bad input fails before the model loads
    counted_messages(log_file, config.chat_filter(), args.bucket)
    out = Path(args.out) if args.out else Path(f"{Path(args.log).name.split('.')[0] or 'chat'}-mood")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; give a directory for the report")
    created = not out.exists()
    try:  # before the scoring, which takes a while on a long log
        out.mkdir(parents=True, exist_ok=True)
        if not os.access(out, os.W_OK):
            raise PermissionError(errno.EACCES, "Permission denied")
    except OSError as exc:
        raise UsageError(f"cannot write the report to {out}: {exc.strerror or exc}") from None
    try:
        scorer = Scorer.from_settings(config.model, path=args.model)
        analysis = asyncio.run(analyze(log_file, scorer, mood=config.mood, chat=config.chat_filter(),
                                       bucket_s=args.bucket, top=args.top, stream=sys.stderr))
    except BaseException:  # a bad --model, Ctrl+C: no empty report directory is left behind
        if created and not any(out.iterdir()):
            out.rmdir()
        raise
    try:
        paths = write_report(analysis, out)
    except OSError as exc:
        raise UsageError(f"cannot write the report to {out}: {exc.strerror or exc}") from None
    print(summary(analysis, paths))
    print(f"done in {time.perf_counter() - started:.1f} s (model {scorer.name}, {scorer.precision} on "
          f"{scorer.device})")
    return 0


def _duration(value: str) -> float:
    """'30s', '1m', '2m30s', '1h' or plain seconds."""
    match = _DURATION.match(value.strip().lower())
    seconds = (float(match[1] or 0) * 3600 + float(match[2] or 0) * 60 + float(match[3] or 0)) if match else 0
    if not match or seconds < 1:
        raise argparse.ArgumentTypeError(f"expected a duration of at least 1 s (30s, 2m, 90), got {value!r}")
    return seconds


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register `analyze`."""
    analyze = sub.add_parser("analyze", parents=[common],
                             help="turn a recorded chat log into a mood timeline, top moments and a plot")
    analyze.add_argument("log", metavar="LOG",
                         help="TwitchDownloader JSON (.json/.json.gz), chat-downloader JSON/JSONL, or CSV")
    analyze.add_argument("--out", metavar="DIR", help="output directory (default: LOGNAME-mood)")
    analyze.add_argument("--bucket", type=_duration, default=30.0, metavar="DURATION",
                         help="timeline bucket, e.g. 30s, 1m (default 30s)")
    analyze.add_argument("--model", metavar="PATH", help="model directory or 'default' (default: config)")
    analyze.add_argument("--top", type=positive(int), default=5, metavar="N",
                         help="hype peaks and swings to list (default 5 each)")
    analyze.add_argument("--rate", type=positive(float), default=10.0, metavar="MSG_PER_S",
                         help="for logs without times: messages per second to assume (default 10)")
    analyze.set_defaults(func=cmd_analyze)
