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
import contextlib
import csv
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import finish_on_signals, running_bot, stop_on_signals
from bot.auth import TokenFile, Tokens
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
    """How far a demo got, for the line a Ctrl+C ends it with."""

    started: bool = False  # the bot has started
    cut_short: bool = False  # a stop ended the replay before its end


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
         show: Any, halt: threading.Event | None = None) -> None:
    """Replay `lines` with the script's injections (runs in a worker thread); `halt` ends it
    before the next step."""
    halt = halt or threading.Event()
    position = 0
    for step in SCRIPT:
        until = int(step.at * len(lines))
        server.replay(channel, lines[position:until], rate).result()
        position = until
        if halt.is_set():
            return
        if step.burst:
            show(f"   ... {step.text}: {int(BURST_RATE * 2)} messages in 2 s")
            burst = [(f"angry{i % 40}", NEGATIVE_BURST[i % len(NEGATIVE_BURST)])
                     for i in range(int(BURST_RATE * 2))]
            server.replay(channel, burst, BURST_RATE).result()
        else:
            show(f"{_clock()} {step.user}{' (mod)' if step.mod else ''}: {step.text}")
            server.say(channel, step.user, step.text, mod=step.mod)
    if not halt.is_set():
        server.replay(channel, lines[position:], rate).result()
        time.sleep(1.5)  # let the last replies arrive


def _clock() -> str:
    return time.strftime("%H:%M:%S")


async def run_demo(*, speed: float = 1.0, limit: int | None = None, channel: str = "demo_channel",
                   model: str = "default", linger: float = 0.0, show: Any = print,
                   stop: asyncio.Event | None = None,
                   progress: DemoProgress | None = None) -> tuple[BotStats, int, float]:
    """Run the demo (then keep the bot and its web pages up `linger` seconds); return the bot's
    stats, messages sent and replay seconds. `stop` ends the replay or the linger early; the bot
    then closes as it does at the end, and `progress` says whether the replay was cut short."""
    progress = progress if progress is not None else DemoProgress()
    stop = stop if stop is not None else asyncio.Event()
    lines = read_sample(limit=limit)
    channel = channel.lstrip("#").lower()
    halt = threading.Event()
    replay: asyncio.Future[None] | None = None
    with tempfile.TemporaryDirectory(prefix="twitch-mood-demo-") as tmp, LocalTwitchServer() as server:
        config = local_config(server, Path(tmp), channel, model=model, mood=DEMO_MOOD, commands=DEMO_COMMANDS)
        show(f"twitch-mood demo: local Twitch server on port {server.port}, #{channel}, "
             f"{len(lines)} real chat lines at {BASE_RATE * speed:.0f} msg/s, model {model}")
        show("(compressed for the demo: 5 s short window, 60 s report and baseline windows, "
             "2 s command cooldown)")

        def on_send(room: str, text: str) -> None:
            show(f"{_clock()} {server.bot_login} -> #{room}: {text}")

        async with running_bot(config, on_send=on_send) as bot:
            progress.started = True
            loop = asyncio.get_running_loop()
            async with asyncio.timeout(30):
                await _joined(server, channel)
            if bot.web is not None and bot.web.url:
                show(f"dashboard: {bot.web.url}")
                show(f"OBS overlay: {bot.web.overlay_url(channel, bot.web.key.current())}")
                if linger <= 0:
                    show("(they close when the replay ends; --linger 300 keeps them up 5 minutes)")
            started = time.monotonic()
            replay = loop.run_in_executor(None, play, server, channel, lines, BASE_RATE * speed, show, halt)
            await _first(replay, stop)
            elapsed = time.monotonic() - started
            if not replay.done():
                progress.cut_short = True
                halt.set()  # no more script lines; the server's close ends the chunk being replayed
            else:
                replay.result()
                if linger > 0 and not stop.is_set():
                    show(f"replay done; the dashboard and overlay stay up {linger:.0f} s (Ctrl+C ends it)")
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(linger):
                            await stop.wait()
        sent = server.delivered  # chat lines and the script's commands
    if progress.cut_short:
        await asyncio.gather(replay, return_exceptions=True)  # its chunk ends with the server
    return bot.stats, sent, elapsed


async def demo_until_signal(progress: DemoProgress, **options: Any) -> tuple[BotStats, int, float]:
    """`run_demo` with Ctrl+C (SIGINT) and SIGTERM handled as `twitch-mood run` handles them
    (`bot.app.stop_on_signals`): after the bot has started, one ends the replay or the linger and
    the bot closes in full; before, one cancels the start-up and a second quits at once."""
    stop = asyncio.Event()
    stop_on_signals(stop, lambda: progress.started)
    result = await run_demo(stop=stop, progress=progress, **options)
    finish_on_signals()
    return result


async def _first(work: asyncio.Future[None], stop: asyncio.Event) -> None:
    """Wait until `work` is done or `stop` is set; `work` is left running."""
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()


async def _joined(server: LocalTwitchServer, channel: str) -> None:
    while not server.joined(channel):
        await asyncio.sleep(0.05)


def interrupted(stats: BotStats, elapsed: float) -> str:
    """The line a Ctrl+C during the replay ends the demo with (its database is a temporary file)."""
    return (f"demo stopped after {elapsed:.0f} s of replay: {stats.scored} messages scored, "
            f"{stats.written} written to SQLite")


def summary(stats: BotStats, sent: int, elapsed: float) -> str:
    """Counts that add up: every message sent was scored, skipped or dropped."""
    return (f"summary: {sent} messages sent = {stats.scored} scored + {stats.skipped} skipped (commands, "
            f"bots) + {stats.dropped} dropped; {stats.written} written to SQLite; "
            f"{stats.scored / elapsed:.0f} msg/s over {elapsed:.0f} s; the bot said {stats.replies} "
            f"message(s), {stats.alerts} of them swing alert(s)")
