"""`auth` (device code flow, 0600 token file), `run` without a login, token refresh, and the demo."""

from __future__ import annotations

import json
import stat

import pytest

from bot.app import running_bot
from bot.auth import AuthError, TokenFile, Tokens, device_login
from bot.cli import main
from localtwitch.demo import run_demo, summary
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
