"""The `twitch-mood` command line (also `python -m bot`): the bot's own commands, and the
composition of every package's subcommands. User errors (`TwitchMoodError`) print as one line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import Any

from mood.errors import TwitchMoodError


def cmd_config_check(args: argparse.Namespace) -> int:
    from bot.config import describe_config, resolve_config

    config = resolve_config(args.config)
    print(describe_config(config), end="")
    print(f"config OK: {len(config.channels)} channel(s)", file=sys.stderr)
    return 0


def cmd_auth(args: argparse.Namespace) -> int:
    from bot.auth import device_login
    from bot.config import resolve_config

    asyncio.run(device_login(resolve_config(args.config)))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import run_until_signal
    from bot.config import resolve_config

    try:
        asyncio.run(run_until_signal(resolve_config(args.config)))
    except asyncio.CancelledError:  # a signal during start-up
        return 130
    return 0


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register `config check`, `auth` and `run`."""
    config_cmd = sub.add_parser("config", help="configuration tools")
    config_sub = config_cmd.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = config_sub.add_parser("check", parents=[common],
                                  help="validate the config and print the effective settings")
    check.set_defaults(func=cmd_config_check)
    auth = sub.add_parser("auth", parents=[common],
                          help="log the bot in to Twitch (device code) and store the token")
    auth.set_defaults(func=cmd_auth)
    run = sub.add_parser("run", parents=[common], help="run the bot in the configured channels until Ctrl+C")
    run.set_defaults(func=cmd_run)


def installed_version() -> str:
    """The installed package's version (pyproject.toml), or `unknown` when run from a bare tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("twitch-mood")
    except PackageNotFoundError:
        return "unknown"


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; given the `command` the arguments name, the `train` stages are
    built only for `train` (see training.cli.add_commands), and every command is listed."""
    # Each package's commands are imported here, not with this module (whose imports are kept
    # to the standard library): they take a second (transformers), and a Ctrl+C then is caught
    # by main() instead of printing a traceback.
    from analysis.cli import add_commands as add_analysis_commands
    from localtwitch.cli import add_commands as add_localtwitch_commands
    from model.cli import add_commands as add_model_commands
    from training.cli import add_commands as add_training_commands
    from web.cli import add_commands as add_web_commands

    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    common = argparse.ArgumentParser(add_help=False, parents=[verbose])
    common.add_argument("--config", metavar="PATH",
                        help="config file (default: ./config.yaml if present, else built-in defaults)")

    parser = argparse.ArgumentParser(prog="twitch-mood",
                                     description="A Twitch chat bot that reads the mood of chat.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (add_commands, add_web_commands, add_model_commands, add_analysis_commands):
        add(sub, common)
    # The demo runs with settings of its own, and training and eval never read config.yaml:
    # they take no --config rather than ignore one.
    add_localtwitch_commands(sub, verbose)
    add_training_commands(sub, verbose, train_stages=command in (None, "train"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from bot.logs import setup_logging

        words = sys.argv[1:] if argv is None else list(argv)
        command = next((word for word in words if not word.startswith("-")), None)
        args = build_parser(command).parse_args(argv)
        setup_logging(args.verbose)
        return args.func(args)
    except TwitchMoodError as exc:
        print(f"twitch-mood: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
