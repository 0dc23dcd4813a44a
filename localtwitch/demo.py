"""`twitch-mood demo`: the real bot against the local Twitch-compatible server, replaying real chat.

The bundled sample (`localtwitch/data/demo_chat.csv`) is 3,000 consecutive lines (rows 10,000-12,999) of
`../shared/data/chat_stream_2025.csv`. The demo replays it, injects viewer and moderator commands
and two bursts of negative chat (one while alerts are off, one after they are back on), and
prints the bot's replies and alerts as they happen. Mood windows and cooldowns are compressed
(5 s short window, 60 s report and baseline, 2 s command cooldown) so one minute of replay shows
what an hour of stream would.
"""

from __future__ import annotations

import asyncio
import csv
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import running_bot
from bot.auth import TokenFile, Tokens
from bot.chatbot import MoodBot
from bot.config import Config, parse_config
from bot.stats import BotStats
from localtwitch.server import LocalTwitchServer
from model.paths import shared_data_dir

SAMPLE = Path(__file__).resolve().parent / "data" / "demo_chat.csv"
BASE_RATE = 50.0  # messages per second at --speed 1
BURST_RATE = 125.0
NEGATIVE_BURST = ("this is so boring ResidentSleeper", "L streamer", "worst game ever", "this is trash",
                  "FailFish what a throw", "so cringe", "I hate this", "NotLikeThis again")
DEMO_MOOD = {"short_window_s": 5, "report_window_s": 60, "baseline_window_s": 60, "min_messages": 10,
             "alert_cooldown_s": 20}
DEMO_COMMANDS = {"mood": {"cooldown_s": 2}, "hype": {"cooldown_s": 2}}


@dataclass
class DemoProgress:
    """How far a demo got: readable after Ctrl+C has ended it, when run_demo returns nothing."""

    bot: MoodBot | None = None  # its stats are final once it has closed
    started: float | None = None  # monotonic time the replay began


@dataclass(frozen=True)
class Step:
    """Something injected when replay reaches `at` (a fraction of the sample)."""

    at: float
    user: str
    text: str
    mod: bool = False
    burst: bool = False


SCRIPT = (
    Step(0.30, "viewer_sam", "!mood"),
    Step(0.35, "viewer_sam", "!hype"),
    Step(0.40, "viewer_sam", "!sentiment off"),
    Step(0.45, "mod_anna", "!sentiment off", mod=True),
    Step(0.50, "(burst)", "negative chat while alerts are off", burst=True),
    Step(0.60, "mod_anna", "!sentiment on", mod=True),
    Step(0.75, "(burst)", "negative chat with alerts on", burst=True),
    Step(0.95, "viewer_sam", "!mood"),
    Step(0.97, "viewer_sam", "!hype"),
)


def read_sample(path: Path = SAMPLE, limit: int | None = None) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = [(r["user"], r["message"]) for r in csv.DictReader(handle) if r.get("message")]
    return rows[:limit] if limit else rows


def chat_lines(count: int) -> list[tuple[str, str]]:
    """`count` (user, text) lines of real chat for replays: the shared stream file, else the
    bundled sample, repeated as needed."""
    source = shared_data_dir() / "chat_stream_2025.csv"
    path = source if source.is_file() else SAMPLE
    rows = read_sample(path)
    return [rows[i % len(rows)] for i in range(count)]


def local_config(server: LocalTwitchServer, workdir: Path, channel: str | list[str], *,
                 model: str = "default", mood: dict[str, Any] | None = None,
                 storage: dict[str, Any] | None = None, commands: dict[str, Any] | None = None,
                 web: dict[str, Any] | None = None, model_settings: dict[str, Any] | None = None) -> Config:
    """A config pointing at the local server, with a token file it accepts, in `workdir`;
    `model_settings`: more keys of the `model` section (backend, precision ...)."""
    token_file = workdir / "token.json"
    TokenFile(token_file).save(Tokens(server.access_token, server.refresh_token))
    return parse_config({
        "twitch": {"client_id": server.client_id, "bot_login": server.bot_login,
                   "token_file": str(token_file), "chat_url": server.chat_url, "api_url": server.api_url,
                   "auth_url": server.auth_url},
        "channels": [channel] if isinstance(channel, str) else channel,
        "model": {"path": model, **(model_settings or {})},
        "storage": {"path": str(workdir / "mood.sqlite3"), **(storage or {})},
        "mood": mood or {},
        "commands": commands or {},
        "web": {"port": 0, "overlay_key_file": str(workdir / "overlay.key"), **(web or {})},
    }, source="local server settings")


def play(server: LocalTwitchServer, channel: str, lines: list[tuple[str, str]], rate: float,
         show: Any) -> None:
    """Replay `lines` with the script's injections (runs in a worker thread)."""
    position = 0
    for step in SCRIPT:
        until = int(step.at * len(lines))
        server.replay(channel, lines[position:until], rate).result()
        position = until
        if step.burst:
            show(f"   ... {step.text}: {int(BURST_RATE * 2)} messages in 2 s")
            burst = [(f"angry{i % 40}", NEGATIVE_BURST[i % len(NEGATIVE_BURST)])
                     for i in range(int(BURST_RATE * 2))]
            server.replay(channel, burst, BURST_RATE).result()
        else:
            show(f"{_clock()} {step.user}{' (mod)' if step.mod else ''}: {step.text}")
            server.say(channel, step.user, step.text, mod=step.mod)
    server.replay(channel, lines[position:], rate).result()
    time.sleep(1.5)  # let the last replies arrive


def _clock() -> str:
    return time.strftime("%H:%M:%S")


async def run_demo(*, speed: float = 1.0, limit: int | None = None, channel: str = "demo_channel",
                   model: str = "default", linger: float = 0.0,
                   show: Any = print, progress: DemoProgress | None = None) -> tuple[BotStats, int, float]:
    """Run the demo (then keep the bot and its web pages up `linger` seconds); return the bot's
    stats, messages sent and replay seconds. `progress` follows it, for a Ctrl+C."""
    progress = progress if progress is not None else DemoProgress()
    lines = read_sample(limit=limit)
    channel = channel.lstrip("#").lower()
    with tempfile.TemporaryDirectory(prefix="twitch-mood-demo-") as tmp, LocalTwitchServer() as server:
        config = local_config(server, Path(tmp), channel, model=model, mood=DEMO_MOOD, commands=DEMO_COMMANDS)
        show(f"twitch-mood demo: local Twitch server on port {server.port}, #{channel}, "
             f"{len(lines)} real chat lines at {BASE_RATE * speed:.0f} msg/s, model {model}")
        show("(compressed for the demo: 5 s short window, 60 s report and baseline windows, "
             "2 s command cooldown)")

        def on_send(room: str, text: str) -> None:
            show(f"{_clock()} {server.bot_login} -> #{room}: {text}")

        async with running_bot(config, on_send=on_send) as bot:
            progress.bot = bot
            loop = asyncio.get_running_loop()
            async with asyncio.timeout(30):
                await _joined(server, channel)
            if bot.web is not None and bot.web.url:
                show(f"dashboard: {bot.web.url}")
                show(f"OBS overlay: {bot.web.overlay_url(channel, bot.web.key.current())}")
                if linger <= 0:
                    show("(they close when the replay ends; --linger 300 keeps them up 5 minutes)")
            started = progress.started = time.monotonic()
            await loop.run_in_executor(None, play, server, channel, lines, BASE_RATE * speed, show)
            elapsed = time.monotonic() - started
            if linger > 0:
                show(f"replay done; the dashboard and overlay stay up {linger:.0f} s (Ctrl+C ends it)")
                await asyncio.sleep(linger)
        sent = server.delivered  # chat lines and the script's commands
    return bot.stats, sent, elapsed


async def _joined(server: LocalTwitchServer, channel: str) -> None:
    while not server.joined(channel):
        await asyncio.sleep(0.05)


def interrupted(progress: DemoProgress) -> str:
    """The line a Ctrl+C ends the demo with (the demo's database is a temporary file)."""
    if progress.bot is None:
        return "demo stopped by Ctrl+C before the bot had started"
    ran = f" after {time.monotonic() - progress.started:.0f} s of replay" if progress.started else ""
    stats = progress.bot.stats
    return f"demo stopped by Ctrl+C{ran}: {stats.scored} messages scored, {stats.written} written to SQLite"


def summary(stats: BotStats, sent: int, elapsed: float) -> str:
    """Counts that add up: every message sent was scored, skipped or dropped."""
    return (f"summary: {sent} messages sent = {stats.scored} scored + {stats.skipped} skipped (commands, "
            f"bots) + {stats.dropped} dropped; {stats.written} written to SQLite; "
            f"{stats.scored / elapsed:.0f} msg/s over {elapsed:.0f} s; the bot said {stats.replies} "
            f"message(s), {stats.alerts} of them swing alert(s)")
