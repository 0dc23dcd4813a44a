"""`twitch-mood demo` (registered by bot/cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from mood.argtypes import positive
from mood.errors import UsageError


def cmd_demo(args: argparse.Namespace) -> int:
    from localtwitch.demo import DemoProgress, demo_until_signal, interrupted, summary

    if not args.verbose:  # the transcript is the output; keep library chatter out of it
        logging.getLogger().setLevel(logging.WARNING)
    if not args.linger >= 0:  # nan too
        raise UsageError("--linger must be 0 or more seconds")
    progress = DemoProgress()
    try:
        stats, sent, elapsed = asyncio.run(demo_until_signal(
            progress, speed=args.speed, limit=args.limit, channel=args.channel, model=args.model,
            linger=args.linger))
    except asyncio.CancelledError:
        print("demo stopped before the bot had started")
        return 130
    if progress.cut_short:
        print(interrupted(stats, elapsed))
        return 130
    print(summary(stats, sent, elapsed))
    return 0


def add_commands(sub: Any, shared: argparse.ArgumentParser) -> None:
    """Register `demo`; `shared` holds the options every command takes (no --config: the demo
    runs with settings of its own)."""
    demo = sub.add_parser("demo", parents=[shared],
                          help="run the bot against a local Twitch server replaying real chat")
    demo.add_argument("--speed", type=positive(float), default=1.0, help="replay speed (1 = 50 msg/s)")
    demo.add_argument("--limit", type=positive(int), default=None,
                      help="replay only the first N sample lines")
    demo.add_argument("--channel", default="demo_channel", help="channel name to use")
    demo.add_argument("--model", default="default", help="model directory (default: the shipped model)")
    demo.add_argument("--linger", type=float, default=0.0, metavar="SECONDS",
                      help="keep the bot, dashboard and overlay running this long after the replay")
    demo.set_defaults(func=cmd_demo)
