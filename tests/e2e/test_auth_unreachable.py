"""`auth` and `run` when Twitch cannot be reached: one line naming the host and what to check, and
for `run` a few spaced retries first. Twitch here is a closed port on 127.0.0.1 (a real refused
connection through aiohttp and twitchAPI); nothing leaves this machine."""

from __future__ import annotations

import gc
import logging
import signal
import socket

import pytest

from bot.auth import AuthError, TokenFile, Tokens, authenticated_client
from bot.cli import main


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_config(tmp_path, port: int) -> str:
    TokenFile(tmp_path / "token.json").save(Tokens("t", "r"))
    path = tmp_path / "config.yaml"
    path.write_text(f"twitch:\n  client_id: abc\n  token_file: token.json\n"
                    f"  api_url: http://127.0.0.1:{port}/helix/\n"
                    f"  auth_url: http://127.0.0.1:{port}/oauth2/\n"
                    f"channels: [somechan]\nstorage:\n  path: mood.db\n", encoding="utf-8")
    return str(path)


def test_auth_without_twitch_prints_one_line(tmp_path, closed_port, capsys):
    assert main(["auth", "--config", write_config(tmp_path, closed_port)]) == 2
    err = capsys.readouterr().err
    assert err == (f"twitch-mood: error: cannot reach Twitch at 127.0.0.1:{closed_port} (Connection refused); "
                   f"check the network connection and twitch.auth_url in {tmp_path / 'config.yaml'}\n")


async def test_run_retries_then_gives_up_in_one_line(tmp_path, closed_port, caplog):
    from bot.config import load_config

    config = load_config(write_config(tmp_path, closed_port))
    caplog.set_level(logging.WARNING)
    with pytest.raises(AuthError) as exc:
        await authenticated_client(config, retry_for_s=0.5, first_retry_s=0.05)
    message = str(exc.value)
    assert message.startswith(f"cannot reach Twitch at 127.0.0.1:{closed_port} (Connection refused) after ")
    assert "twitch.auth_url" in message and "\n" not in message
    retries = [r for r in caplog.records if r.name == "bot.auth"]
    assert len(retries) >= 3 and all(r.levelno == logging.WARNING and r.exc_info is None for r in retries)
    assert f"127.0.0.1:{closed_port}" in retries[0].getMessage()
    assert retries[0].getMessage().endswith("try 1, next in 0.05 s")
    del exc  # its traceback holds the frames that hold any session left open
    gc.collect()  # an aiohttp session left open says so when collected
    assert "Unclosed" not in caplog.text


def test_ctrl_c_while_the_login_retries_stops_the_run(tmp_path, closed_port):
    import subprocess
    import sys
    import time

    process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", write_config(tmp_path, closed_port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        for line in process.stdout:  # wait until it is retrying the login
            if "cannot reach Twitch" in line or time.monotonic() > deadline:
                break
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130 and time.monotonic() - started < 15
