"""The token file (mode 0600 on every write) and the redaction of secrets from logs."""

from __future__ import annotations

import logging
import stat

from bot.auth import TokenFile, Tokens
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
