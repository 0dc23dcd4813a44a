"""`twitch-mood run` as a process: joins, logs at INFO without secrets, stops cleanly on SIGTERM."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.auth import TokenFile, Tokens
from localtwitch.server import LocalTwitchServer


def start_run(server: LocalTwitchServer, tmp_path: Path, model_dir: Path) -> subprocess.Popen[str]:
    """`twitch-mood run` as a process, logged in to `server`, joining #somechan, with SIGINT as the
    default (a shell starting pytest in the background would leave it ignored)."""
    TokenFile(tmp_path / "token.json").save(Tokens(server.access_token, server.refresh_token))
    (tmp_path / "config.yaml").write_text(
        f"twitch:\n  client_id: {server.client_id}\n  token_file: token.json\n"
        f"  chat_url: {server.chat_url}\n  api_url: {server.api_url}\n  auth_url: {server.auth_url}\n"
        f"channels: [somechan]\nmodel:\n  path: {model_dir}\nstorage:\n  path: mood.sqlite3\n",
        encoding="utf-8")
    return subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(tmp_path / "config.yaml")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@contextmanager
def run_with_one_message(tmp_path: Path, model_dir: Path) -> Iterator[tuple[LocalTwitchServer, subprocess.Popen[str]]]:
    """`twitch-mood run` (start_run) once it has joined #somechan and read one message; killed on
    the way out."""
    with LocalTwitchServer() as server:
        process = start_run(server, tmp_path, model_dir)
        try:
            assert server.wait_for(lambda: server.joined("somechan"), timeout=60)
            server.say("somechan", "viewer", "good stream")
            time.sleep(0.5)
            yield server, process
        finally:
            process.kill()


def test_run_joins_and_shuts_down_cleanly_on_sigterm(tmp_path, tiny_model_dir):
    with run_with_one_message(tmp_path, tiny_model_dir) as (server, process):
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "joined #somechan" in output and "1 scored, 1 written, 0 dropped" in output, output
    assert server.access_token not in output and server.refresh_token not in output
    with sqlite3.connect(tmp_path / "mood.sqlite3") as db:  # flushed at shutdown
        assert db.execute("SELECT SUM(count) FROM minute_stats").fetchone()[0] == 1



def press_ctrl_c_until_it_exits(process: subprocess.Popen[str], every_s: float = 0.02, within_s: float = 60) -> None:
    deadline = time.monotonic() + within_s
    while process.poll() is None:
        assert time.monotonic() < deadline, f"still running {within_s} s after the first Ctrl+C"
        process.send_signal(signal.SIGINT)
        time.sleep(every_s)


def _read_until(process: subprocess.Popen[str], prefix: str, timeout: float) -> list[str]:
    """The process's output lines up to the first that starts with `prefix` (fails after `timeout` s)."""
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in process.stdout or ():
            lines.append(line)
            if line.startswith(prefix):
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(timeout), "".join(lines)
    return lines


@pytest.mark.parametrize("presses", ["once", "again and again"])
def test_demo_stopped_by_ctrl_c_says_what_it_scored_and_wrote(tiny_model_dir, presses):
    # SIGINT as the default: a shell starting pytest in the background would leave it ignored
    process = subprocess.Popen([sys.executable, "-u", "-m", "bot", "demo", "--model", str(tiny_model_dir)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        lines = _read_until(process, "dashboard:", timeout=120)  # the replay takes a minute at speed 1
        time.sleep(1.0)
        if presses == "once":
            process.send_signal(signal.SIGINT)
        else:
            press_ctrl_c_until_it_exits(process)
        output, _ = process.communicate(timeout=60)
    finally:
        process.kill()
    output = "".join(lines) + output
    assert process.returncode == 130, output
    last = output.strip().splitlines()[-1]
    match = re.fullmatch(r"demo stopped after (\d+) s of replay: (\d+) messages scored, (\d+) written to SQLite",
                         last)
    assert match, output
    assert 1 <= int(match[1]) < 30, last  # the replay's time until the signal, not the whole run's
    assert int(match[2]) > 0 and match[2] == match[3], last  # what was scored is stored
    assert "Traceback" not in output and "summary:" not in output


def test_ctrl_c_pressed_again_and_again_during_shutdown_still_ends_cleanly(tmp_path, tiny_model_dir):
    """An impatient streamer: Ctrl+C, then Ctrl+C every 20 ms until the bot has exited. Each press
    after the first finds the shutdown under way: it neither cuts it short nor ends in a traceback."""
    with run_with_one_message(tmp_path, tiny_model_dir) as (_, process):
        press_ctrl_c_until_it_exits(process)
        output = process.stdout.read() if process.stdout else ""
    assert process.returncode == 0, output
    assert "1 scored, 1 written, 0 dropped" in output and "Traceback" not in output, output
