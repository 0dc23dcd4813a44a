"""Helpers for end-to-end tests: a config pointing at the local server, polling, chat lines."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.connection import Watchdog
from localtwitch.demo import local_config
from localtwitch.server import LocalTwitchServer

CHANNEL = "testchan"
FAST_WATCHDOG = Watchdog(check_interval_s=0.1, closed_grace_s=0.3, reconnect_delay_steps=(0, 0.1, 0.2),
                         retry_delays_s=(0.2, 0.5), start_timeout_s=3.0)
NO_COOLDOWNS = {name: {"cooldown_s": 0} for name in ("mood", "hype", "sentiment")}


def bot_config(server: LocalTwitchServer, tmp_path: Path, commands: dict[str, Any] | None = None,
               chat: dict[str, Any] | None = None, **mood: Any) -> Config:
    """Short windows, no command cooldowns (unless `commands` sets them), fast storage flushes."""
    settings = {"short_window_s": 10, "report_window_s": 300, "baseline_window_s": 120, "min_messages": 5,
                "alert_cooldown_s": 60, **mood}
    config = local_config(server, tmp_path, CHANNEL, mood=settings, commands=commands or NO_COOLDOWNS,
                          storage={"path": str(tmp_path / "mood.db"), "flush_interval_s": 0.2})
    return dataclasses.replace(config, chat=dataclasses.replace(config.chat, **(chat or {})))


async def until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Wait (without blocking the loop) until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


async def say(server: LocalTwitchServer, user: str, text: str, **kwargs: Any) -> None:
    """Deliver a chat line from the server's thread without blocking this loop."""
    await asyncio.get_running_loop().run_in_executor(None, lambda: server.say(CHANNEL, user, text, **kwargs))


async def reply_containing(server: LocalTwitchServer, fragment: str, after: int = 0, timeout: float = 10.0) -> str:
    """The first bot message (from index `after`) containing `fragment`."""
    found: list[str] = []

    def check() -> bool:
        found[:] = [t for t in server.sent_texts(CHANNEL)[after:] if fragment in t]
        return bool(found)

    await until(check, timeout, f"a reply containing {fragment!r}")
    return found[0]
