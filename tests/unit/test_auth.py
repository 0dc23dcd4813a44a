"""The token file (mode 0600 on every write) and the redaction of secrets from logs."""

from __future__ import annotations

import logging
import stat

import pytest

from bot.auth import AuthError, TokenFile, Tokens
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
