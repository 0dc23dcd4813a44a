"""`auth` (device code flow, 0600 token file), `run` without a login, token refresh, and the demo."""

from __future__ import annotations

import asyncio
import json
import stat

import pytest

from bot.app import running_bot
from bot.auth import AuthError, TokenFile, Tokens, device_login
from bot.cli import main
from localtwitch.demo import DemoProgress, run_demo, summary
from tests.e2e.botkit import FAST_WATCHDOG, bot_config
from tests.helpers import KeywordPredictor


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_device_login_stores_the_token_readable_only_by_the_owner(server, tmp_path):
    config = bot_config(server, tmp_path / "fresh")
    (tmp_path / "fresh" / "token.json").unlink()
    shown: list[str] = []
    token_file = await device_login(config, show=shown.append)
    assert "enter the code" in shown[0] and "mode 0600" in shown[1]
    assert mode(token_file.path) == 0o600
    stored = json.loads(token_file.path.read_text())
    assert stored == {"token": server.access_token, "refresh": server.refresh_token}
    assert server.access_token not in " ".join(shown)  # the secret is never printed


async def test_run_without_a_login_says_to_run_auth(server, tmp_path):
    config = bot_config(server, tmp_path)
    (tmp_path / "token.json").unlink()
    with pytest.raises(AuthError, match="run `twitch-mood auth`"):
        async with running_bot(config, predictor=KeywordPredictor()):
            pass


async def test_rejected_login_says_to_run_auth_again(server, tmp_path):
    config = bot_config(server, tmp_path)
    TokenFile(tmp_path / "token.json").save(Tokens("expired", "revoked"))
    with pytest.raises(AuthError, match=r"rejected the stored login.*auth"):
        async with running_bot(config, predictor=KeywordPredictor()):
            pass


async def test_expired_token_is_refreshed_and_stored_0600(server, tmp_path):
    config = bot_config(server, tmp_path)
    token_file = TokenFile(tmp_path / "token.json")
    token_file.save(Tokens("expired-token", server.refresh_token))
    async with running_bot(config, predictor=KeywordPredictor(), watchdog=FAST_WATCHDOG):
        pass
    assert token_file.load() == Tokens(server.access_token, server.refresh_token)
    assert mode(token_file.path) == 0o600


def test_run_cli_reports_missing_login_as_an_error(server, tmp_path, capsys):
    config_path = tmp_path / "config.yaml"
    config_path.write_text(
        f"twitch:\n  client_id: {server.client_id}\n  token_file: missing.json\n  chat_url: {server.chat_url}\n"
        f"  api_url: {server.api_url}\n  auth_url: {server.auth_url}\nchannels: [somechan]\n"
        f"storage:\n  path: mood.db\n", encoding="utf-8")
    assert main(["run", "--config", str(config_path)]) == 2
    assert "run `twitch-mood auth`" in capsys.readouterr().err


async def test_demo_replays_chat_answers_commands_and_reports(tiny_model_dir):
    lines: list[str] = []
    stats, sent, elapsed = await run_demo(speed=8, limit=400, model=str(tiny_model_dir), show=lines.append)
    transcript = "\n".join(lines)
    assert "Only moderators can use !sentiment." in transcript
    assert "Mood swing alerts are OFF" in transcript
    # at 8x speed the first !mood may arrive before its messages are scored
    assert transcript.count("Chat mood") + transcript.count("Not enough chat") == 2, transcript
    assert "Chat mood" in transcript and transcript.count("Hype ") == 2, transcript
    assert stats.scored + stats.skipped + stats.dropped == sent and stats.dropped == 0  # the counts add up
    assert stats.written == stats.scored
    assert f"{sent} messages sent = {stats.scored} scored + {stats.skipped} skipped" in summary(stats, sent, elapsed)


async def test_a_stop_during_the_replay_ends_it_and_closes_the_bot_in_full(tiny_model_dir):
    stop, progress, lines = asyncio.Event(), DemoProgress(), []
    loop = asyncio.get_running_loop()

    def show(line: str) -> None:  # from the loop and from the replay thread
        lines.append(line)
        if line.startswith("dashboard:"):
            loop.call_later(0.5, stop.set)

    stats, _, elapsed = await run_demo(speed=1, model=str(tiny_model_dir), show=show, stop=stop, progress=progress)
    assert progress.cut_short and elapsed < 10  # the whole replay takes a minute
    assert stats.scored > 0 and stats.written == stats.scored and stats.dropped == 0
    assert not any("!mood" in line for line in lines)  # the script stopped too (its first step is at 30%)


async def test_a_stop_during_the_linger_ends_it_after_a_whole_replay(tiny_model_dir):
    stop, progress = asyncio.Event(), DemoProgress()
    loop = asyncio.get_running_loop()

    def show(line: str) -> None:
        if line.startswith("replay done"):
            loop.call_soon_threadsafe(stop.set)

    started = loop.time()
    stats, sent, _ = await run_demo(speed=8, limit=400, model=str(tiny_model_dir), linger=300, show=show,
                                    stop=stop, progress=progress)
    assert not progress.cut_short and loop.time() - started < 120
    assert stats.scored + stats.skipped + stats.dropped == sent and stats.written == stats.scored
