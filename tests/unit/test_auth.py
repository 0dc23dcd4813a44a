"""The token file (mode 0600 on every write) and the redaction of secrets from logs."""

from __future__ import annotations

import asyncio
import logging
import socket
import stat

import pytest

from bot.auth import AuthError, TokenFile, Tokens, _reach, authenticated_client, device_login
from bot.config import parse_config
from bot.logs import RedactSecrets


def test_token_file_stays_0600_when_rewritten(tmp_path):
    token_file = TokenFile(tmp_path / "dir" / "token.json")
    token_file.save(Tokens("a", "b"))
    token_file.path.chmod(0o644)  # even if someone loosened it
    token_file.save(Tokens("c", "d"))
    assert stat.S_IMODE(token_file.path.stat().st_mode) == 0o600
    assert token_file.load() == Tokens("c", "d")


def test_tokens_are_redacted_from_logs(caplog):
    logger = logging.getLogger("twitchAPI.chat")
    caplog.handler.addFilter(RedactSecrets())
    with caplog.at_level(logging.DEBUG, logger="twitchAPI.chat"):
        logger.debug('> "%s"', "PASS oauth:abc123secret")
        logger.debug("header %s", "Authorization: OAuth zzzsecret")
        logger.info('stored {"token": "t0ken", "refresh": "r3fresh"}')
    assert "abc123secret" not in caplog.text and "zzzsecret" not in caplog.text
    assert "t0ken" not in caplog.text and "r3fresh" not in caplog.text
    assert "PASS oauth:***" in caplog.text


@pytest.mark.parametrize("loose", [0o644, 0o666, 0o640, 0o604], ids=oct)
def test_token_file_readable_by_others_is_refused_with_the_chmod_to_run(tmp_path, loose):
    token_file = TokenFile(tmp_path / "my tokens" / "token.json")
    token_file.save(Tokens("a", "b"))
    token_file.path.chmod(loose)
    with pytest.raises(AuthError) as exc:
        token_file.load()
    message = str(exc.value)
    assert f"chmod 600 '{token_file.path}'" in message and "\n" not in message
    token_file.path.chmod(0o600)
    assert token_file.load() == Tokens("a", "b")


@pytest.fixture
def logged_in(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """A config with a stored login; Twitch.close does not wait its quarter second."""
    from twitchAPI.twitch import Twitch

    async def close() -> None:
        pass

    monkeypatch.setattr(Twitch, "close", staticmethod(close))
    TokenFile(tmp_path / "token.json").save(Tokens("t", "r"))
    return parse_config({"twitch": {"client_id": "abc", "token_file": str(tmp_path / "token.json")}},
                        source="config.yaml")


def unreachable_until(monkeypatch: pytest.MonkeyPatch, works_after: float) -> list[int]:
    """Twitch's token check (twitchAPI.oauth.validate_token, which the bot and twitchAPI call)
    fails as with no network for `works_after` calls, then accepts the token. No socket is opened."""
    import twitchAPI.oauth
    from twitchAPI.type import AuthScope

    tries: list[int] = []

    async def validate_token(token: str, *args, **kwargs) -> dict:
        tries.append(1)
        if len(tries) <= works_after:
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return {"login": "bot", "user_id": "1", "client_id": "abc",
                "scopes": [AuthScope.CHAT_READ, AuthScope.CHAT_EDIT]}

    monkeypatch.setattr(twitchAPI.oauth, "validate_token", validate_token)
    return tries


async def test_run_retries_with_back_off_while_twitch_is_unreachable(logged_in, monkeypatch, caplog):
    tries = unreachable_until(monkeypatch, works_after=3)
    with caplog.at_level(logging.WARNING, logger="bot.auth"):
        await authenticated_client(logged_in, retry_for_s=10, first_retry_s=0.01)
    assert len(tries) == 5  # 3 failed, then the bot's check and twitchAPI's
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.auth"]
    assert len(warnings) == 3 and all(r.exc_info is None for r in caplog.records)
    assert all("cannot reach Twitch at id.twitch.tv (Temporary failure in name resolution)" in w
               for w in warnings)
    assert [w.rsplit("next in ", 1)[1] for w in warnings] == ["0.01 s", "0.02 s", "0.04 s"]


async def test_run_gives_up_after_its_bound_in_one_line(logged_in, monkeypatch):
    unreachable_until(monkeypatch, works_after=float("inf"))
    with pytest.raises(AuthError) as exc:
        await authenticated_client(logged_in, retry_for_s=0.05, first_retry_s=0.01)
    message = str(exc.value)
    assert "\n" not in message and "cannot reach Twitch at id.twitch.tv" in message
    assert "check the network connection and twitch.auth_url in config.yaml" in message


async def test_auth_without_network_says_what_it_could_not_reach(logged_in, monkeypatch):
    from twitchAPI.oauth import CodeFlow

    async def get_code(self):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(CodeFlow, "get_code", get_code)
    with pytest.raises(AuthError, match=r"^cannot reach Twitch at id\.twitch\.tv \(Temporary failure in "
                                        r"name resolution\); check the network connection and "
                                        r"twitch\.auth_url in config\.yaml$"):
        await device_login(logged_in, show=print)


async def test_ctrl_c_as_twitch_answers_is_not_lost(logged_in):
    # Before Python 3.12, asyncio.wait_for swallowed a cancel that arrived as its call finished
    # (CPython gh-86296): a Ctrl+C during login was lost and the bot went on to connect.
    answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    request = asyncio.create_task(_reach(answer, logged_in))
    await asyncio.sleep(0)  # waiting for Twitch
    answer.set_result("token valid")
    request.cancel()  # Ctrl+C, as the answer arrives
    with pytest.raises(asyncio.CancelledError):
        await request
