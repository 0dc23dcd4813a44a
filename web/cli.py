"""`twitch-mood overlay-key [--rotate]` (registered by bot/cli.py): print each channel's overlay URL
with its key, or make a new key first so URLs that leaked on stream stop working."""

from __future__ import annotations

import argparse
from typing import Any


def cmd_overlay_key(args: argparse.Namespace) -> int:
    from bot.config import resolve_config
    from web.keys import OverlayKey

    config = resolve_config(args.config)
    key_file = OverlayKey(config.web.overlay_key_file)
    key = key_file.rotate() if args.rotate else key_file.current()
    host = "127.0.0.1" if config.web.host in ("0.0.0.0", "::") else config.web.host
    base = f"http://{host}:{config.web.port}/"
    if args.rotate:
        print(f"new overlay key written to {key_file.path} (mode 0600); old overlay URLs now get 403")
    print(f"dashboard: {base}")
    for channel in config.channels or ():
        print(f"overlay #{channel.name}: {base}overlay/{channel.name}?key={key}")
    if not config.channels:
        print(f"overlay: {base}overlay/CHANNEL?key={key}  (no channels in the config yet)")
    if config.web.host in ("0.0.0.0", "::"):
        print("(web.host listens on every address: from another PC, put this machine's LAN address "
              "in place of 127.0.0.1)")
    return 0


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register `overlay-key`."""
    overlay = sub.add_parser("overlay-key", parents=[common],
                             help="print the OBS overlay URLs with their key; --rotate makes a new key")
    overlay.add_argument("--rotate", action="store_true",
                         help="write a new random key: every old overlay URL stops working")
    overlay.set_defaults(func=cmd_overlay_key)
