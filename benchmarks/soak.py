"""`python -m benchmarks.loadbench --soak`: the bot as a process over several channels, its
connection closed periodically, stopped with SIGTERM; checks that every countable message it
could have heard was counted or reported dropped."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Future
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.auth import TokenFile, Tokens
from bot.config import load_config
from localtwitch.demo import chat_lines
from localtwitch.server import LocalTwitchServer
from model.machine import machine_info


@dataclass(frozen=True)
class SoakSettings:
    """What the soak offers: `rate` msg/s in all, spread evenly over `channels`, for `seconds`,
    with the server closing the bot's connection every `close_every_s`."""

    rate: float = 300.0
    channels: int = 5
    seconds: float = 60.0
    close_every_s: float = 10.0
    model: str = "default"  # 'default', 'tiny' (a random model built here) or a model directory


REPO = Path(__file__).resolve().parents[1]
TINY_MODEL = "tiny"
REJOIN_TARGET_S = 5.0
JOIN_TIMEOUT_S = 120.0  # the process loads torch and the model before it joins
REJOIN_TIMEOUT_S = 30.0
PROBE_TIMEOUT_S = 30.0
EXIT_TIMEOUT_S = 120.0
STOPPED = re.compile(r"stopped: (\d+) messages received, (\d+) skipped, (\d+) scored, (\d+) written, "
                     r"(\d+) dropped, (\d+) replies, (\d+) alerts, (\d+) reconnects, (\d+) unreadable lines")
STOPPED_FIELDS = ("received", "skipped", "scored", "written", "dropped", "replies", "alerts", "reconnects",
                  "unreadable_lines")


def soak_config(server: LocalTwitchServer, workdir: Path, channels: list[str], model: str) -> Path:
    """Write a `config.yaml` (and the token file it names) for `twitch-mood run` against `server`."""
    TokenFile(workdir / "token.json").save(Tokens(server.access_token, server.refresh_token))
    path = workdir / "config.yaml"
    path.write_text(
        f"twitch:\n  client_id: {server.client_id}\n  token_file: {workdir / 'token.json'}\n"
        f"  chat_url: {server.chat_url}\n  api_url: {server.api_url}\n  auth_url: {server.auth_url}\n"
        f"channels: [{', '.join(channels)}]\nmodel:\n  path: {model}\n"
        f"storage:\n  path: {workdir / 'mood.sqlite3'}\n", encoding="utf-8")
    return path


def wait_until(predicate: Any, timeout: float, every: float = 0.05) -> float | None:
    """Poll `predicate` every `every` seconds; the seconds it took, or None after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(every)
    return None


def run_soak(settings: SoakSettings) -> dict[str, Any]:
    """Run the soak and return its report (see the module docstring)."""
    names = [f"soak{i}" for i in range(settings.channels)]
    lines = chat_lines(int(settings.rate * settings.seconds))
    shares = [lines[i::settings.channels] for i in range(settings.channels)]
    with tempfile.TemporaryDirectory(prefix="twitch-mood-soak-") as tmp, LocalTwitchServer() as server:
        workdir = Path(tmp)
        model = settings.model
        if model == TINY_MODEL:
            from model.tiny import build_tiny_model

            model = str(build_tiny_model(workdir / "tiny-model", [text for _, text in lines]))
        elif model != "default":
            model = str(Path(model).resolve())
        config_path = soak_config(server, workdir, names, model)
        counts = load_config(config_path).chat_filter(server.bot_login).counts
        countable = sum(1 for user, text in lines if counts(user, text))
        log_path = workdir / "bot.log"
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config_path)],
                                       cwd=REPO, stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            everywhere = set(names)
            started = wait_until(lambda: everywhere <= server.joined_channels() or process.poll() is not None,
                                 JOIN_TIMEOUT_S, every=0.2)
            if started is None or process.poll() is not None:
                raise RuntimeError(f"the bot did not join {names}:\n{_tail(log_path)}")
            replays = [server.replay(name, share, settings.rate / settings.channels)
                       for name, share in zip(names, shares, strict=True)]
            deaf = _close_periodically(server, replays, everywhere, settings)
            sent = sum(r.result(timeout=REJOIN_TIMEOUT_S) for r in replays)
            probe_s = _probe(server, names[-1])  # a reply means every earlier line reached the bot
            process.send_signal(signal.SIGTERM)
            try:
                exit_code: int | None = process.wait(timeout=EXIT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                exit_code = None
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
        output = log_path.read_text(encoding="utf-8", errors="replace")
        with closing(sqlite3.connect(workdir / "mood.sqlite3")) as db:
            counted = db.execute("SELECT COALESCE(SUM(count), 0) FROM minute_stats").fetchone()[0]
        undelivered = server.undelivered_lines()
    stopped = STOPPED.findall(output)
    final = dict(zip(STOPPED_FIELDS, map(int, stopped[-1]), strict=True)) if stopped else {}
    deaf_while = sum(1 for _, user, text in undelivered if counts(user, text))
    heard = [d for d in deaf if d is not None]
    return {
        "machine": machine_info(), "model": settings.model, "rate": settings.rate,
        "channels": settings.channels, "seconds": settings.seconds, "close_every_s": settings.close_every_s,
        "closes": len(deaf), "sent": sent, "countable": countable, "sent_while_deaf": deaf_while,
        "undelivered_lines": len(undelivered), "received": final.get("received"),
        "counted_in_sqlite": counted, "scored": final.get("scored"), "written": final.get("written"),
        "dropped": final.get("dropped"), "reconnects": final.get("reconnects"),
        "unreadable_lines": final.get("unreadable_lines"),
        "deaf_seconds": [None if d is None else round(d, 2) for d in deaf],
        "deaf_seconds_max": round(max(heard), 2) if heard else None,
        "rejoin_within_5s": len(heard) == len(deaf) and all(d <= REJOIN_TARGET_S for d in heard),
        "all_accounted": bool(final) and counted + final["dropped"] == countable - deaf_while,
        "scored_equals_written": bool(final) and final["scored"] == final["written"],
        "probe_reply_s": None if probe_s is None else round(probe_s, 2),
        "exit_code": exit_code, "final_log_line_found": bool(final),
        "warnings": [line for line in output.splitlines() if " WARNING " in line or " ERROR " in line][:20],
    }


def _close_periodically(server: LocalTwitchServer, replays: list[Future[int]], channels: set[str],
                        settings: SoakSettings) -> list[float | None]:
    """While the replays run, close the bot's connection every `close_every_s` seconds; per close,
    the seconds until every channel is joined again (None: not within REJOIN_TIMEOUT_S)."""
    start = time.monotonic()
    deadline = start + settings.seconds + REJOIN_TIMEOUT_S  # replays are paced; this only bounds a stall
    next_close = start + settings.close_every_s
    deaf: list[float | None] = []
    while not all(r.done() for r in replays) and time.monotonic() < deadline:
        if time.monotonic() >= next_close and next_close < start + settings.seconds:
            closed_at = time.monotonic()  # drop_connections() returns after the close handshake
            server.drop_connections()
            rejoined = wait_until(lambda: channels <= server.joined_channels(), REJOIN_TIMEOUT_S)
            deaf.append(None if rejoined is None else time.monotonic() - closed_at)
            next_close += settings.close_every_s
        time.sleep(0.05)
    return deaf


def _probe(server: LocalTwitchServer, channel: str) -> float | None:
    """Ask `!mood` and wait for the answer: the bot handles lines in order, so by then it has every
    line said before. Seconds to the reply, or None."""
    before = len(server.sent_texts(channel))
    server.say(channel, "soak_probe", "!mood")
    return wait_until(lambda: len(server.sent_texts(channel)) > before, PROBE_TIMEOUT_S)


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


