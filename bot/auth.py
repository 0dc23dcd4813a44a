"""Twitch login: the token file (mode 0600, JSON as twitchAPI's storage helper writes it), the
device-code login for `twitch-mood auth`, and the authenticated `Twitch` client for `run`."""

from __future__ import annotations

import json
import logging
import os
import shlex
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Config
from mood.errors import TwitchMoodError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from twitchAPI.twitch import Twitch
    from twitchAPI.type import AuthScope


class AuthError(TwitchMoodError):
    """No usable login; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Tokens:
    token: str
    refresh: str


class TokenFile:
    """`{"token": ..., "refresh": ...}` in a file only its owner can read or write."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()

    def load(self) -> Tokens | None:
        """The stored tokens; None if there is no file. A file that others may read or write is
        refused (as ssh refuses a loose key): someone else may have the bot's login."""
        if not self.path.is_file():
            return None
        mode = stat.S_IMODE(self.path.stat().st_mode)
        if mode & 0o077:
            raise AuthError(f"token file {self.path} is readable or writable by others (mode {mode:04o}); "
                            f"run `chmod 600 {shlex.quote(str(self.path))}` and start again")
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return Tokens(str(data["token"]), str(data["refresh"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AuthError(f"token file {self.path} is unreadable ({type(exc).__name__}); "
                            "run `twitch-mood auth` to log in again") from None

    def save(self, tokens: Tokens) -> None:
        """Write atomically with mode 0600 (never readable by others, even for a moment)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"token": tokens.token, "refresh": tokens.refresh}, handle)
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)


def _scopes() -> list[AuthScope]:
    from twitchAPI.type import AuthScope

    return [AuthScope.CHAT_READ, AuthScope.CHAT_EDIT]


async def _client(config: Config) -> Twitch:
    from twitchAPI.twitch import Twitch

    if not config.twitch.client_id:
        raise AuthError(f"twitch.client_id is empty in {config.source}; register an application at "
                        "https://dev.twitch.tv/console and put its client ID there")
    return await Twitch(config.twitch.client_id, config.client_secret(), authenticate_app=False,
                        base_url=config.twitch.api_url, auth_base_url=config.twitch.auth_url)


async def device_login(config: Config, show: Callable[[str], object] = print) -> TokenFile:
    """`twitch-mood auth`: device-code flow; prints the URL and code, waits, stores the tokens."""
    from twitchAPI.oauth import CodeFlow

    twitch = await _client(config)
    try:
        flow = CodeFlow(twitch, _scopes(), auth_base_url=config.twitch.auth_url)
        code, url = await flow.get_code()
        show(f"Open {url} and enter the code {code} to let the bot use your Twitch account.")
        token, refresh = await flow.wait_for_auth_complete()
        await twitch.set_user_authentication(token, _scopes(), refresh)
    finally:
        await twitch.close()
    token_file = TokenFile(config.twitch.token_file)
    token_file.save(Tokens(token, refresh))
    show(f"Logged in; token stored in {token_file.path} (mode 0600).")
    return token_file


async def authenticated_client(config: Config) -> Twitch:
    """A `Twitch` with the stored user token; refreshed tokens are written back (0600)."""
    from twitchAPI.type import InvalidRefreshTokenException, InvalidTokenException, UnauthorizedException

    token_file = TokenFile(config.twitch.token_file)
    tokens = token_file.load()
    if tokens is None:
        raise AuthError(f"no Twitch login yet ({token_file.path} does not exist); run `twitch-mood auth`")
    twitch = await _client(config)

    async def store_refreshed(token: str, refresh: str) -> None:
        token_file.save(Tokens(token, refresh))
        log.info("Twitch token refreshed and stored")

    twitch.user_auth_refresh_callback = store_refreshed
    try:
        await twitch.set_user_authentication(tokens.token, _scopes(), tokens.refresh)
    except (InvalidTokenException, InvalidRefreshTokenException, UnauthorizedException) as exc:
        await twitch.close()
        raise AuthError(f"Twitch rejected the stored login ({type(exc).__name__}); "
                        "run `twitch-mood auth` to log in again") from None
    except Exception:
        await twitch.close()
        raise
    return twitch
