"""Twitch login: the token file (mode 0600, JSON as twitchAPI's storage helper writes it), the
device-code login for `twitch-mood auth`, and the authenticated `Twitch` client for `run`."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shlex
import socket
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from bot.config import Config
from mood.errors import TwitchMoodError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from twitchAPI.twitch import Twitch
    from twitchAPI.type import AuthScope


class AuthError(TwitchMoodError):
    """No usable login; the message says what to do."""


class TwitchUnreachable(AuthError):
    """Twitch's login server could not be reached (network down, DNS, a wrong twitch.auth_url)."""


# One request to Twitch that takes longer than this counts as Twitch being unreachable.
ATTEMPT_TIMEOUT_S = 30.0
_T = TypeVar("_T")


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


def _unreachable(config: Config, exc: BaseException, *, waited: str = "") -> TwitchUnreachable:
    host = urlsplit(config.twitch.auth_url).netloc or config.twitch.auth_url
    return TwitchUnreachable(f"cannot reach Twitch at {host} ({_why(exc)}){waited}; check the network "
                             f"connection and twitch.auth_url in {config.source}")


def _why(exc: BaseException) -> str:
    """What went wrong on the network, in a few words (no aiohttp object reprs)."""
    import aiohttp

    if isinstance(exc, aiohttp.ClientConnectorError):
        exc = exc.os_error
    if isinstance(exc, TimeoutError):
        return f"no answer within {ATTEMPT_TIMEOUT_S:.0f} s"
    if isinstance(exc, OSError) and not isinstance(exc, socket.gaierror) and exc.errno:
        return os.strerror(exc.errno)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


async def _reach(call: Awaitable[_T], config: Config) -> _T:
    """Await one request to Twitch; a network failure or a timeout becomes TwitchUnreachable."""
    import aiohttp

    try:
        async with asyncio.timeout(ATTEMPT_TIMEOUT_S):
            return await call
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise _unreachable(config, exc) from exc


async def _validate(config: Config, token: str) -> None:
    """Twitch's token check in a session of our own, closed also when the network fails:
    twitchAPI's own check leaves its session open then (an 'Unclosed client session' per try)."""
    import aiohttp
    from twitchAPI.oauth import validate_token

    async with aiohttp.ClientSession() as session:
        await validate_token(token, session=session, auth_base_url=config.twitch.auth_url)


async def device_login(config: Config, show: Callable[[str], object] = print) -> TokenFile:
    """`twitch-mood auth`: device-code flow; prints the URL and code, waits, stores the tokens.
    Twitch out of reach raises one `TwitchUnreachable` line naming the host and what to check."""
    import aiohttp
    from twitchAPI.oauth import CodeFlow

    twitch = await _client(config)
    try:
        flow = CodeFlow(twitch, _scopes(), auth_base_url=config.twitch.auth_url)
        code, url = await _reach(flow.get_code(), config)
        show(f"Open {url} and enter the code {code} to let the bot use your Twitch account.")
        try:  # no time limit: the user is logging in
            token, refresh = await flow.wait_for_auth_complete()
        except (aiohttp.ClientError, OSError) as exc:
            raise _unreachable(config, exc) from exc
        await _reach(twitch.set_user_authentication(token, _scopes(), refresh), config)
    finally:
        await twitch.close()
    token_file = TokenFile(config.twitch.token_file)
    token_file.save(Tokens(token, refresh))
    show(f"Logged in; token stored in {token_file.path} (mode 0600).")
    return token_file


async def authenticated_client(config: Config, *, retry_for_s: float | None = 300.0,
                               first_retry_s: float = 1.0, max_retry_s: float = 60.0) -> Twitch:
    """A `Twitch` with the stored user token; refreshed tokens are written back (0600).

    While Twitch cannot be reached (the network is not up yet), it tries again after 1, 2, 4 ..
    `max_retry_s` seconds, one WARNING line each, for `retry_for_s` seconds in all (None: until
    it works), then raises one `TwitchUnreachable` line."""
    from twitchAPI.type import InvalidRefreshTokenException, InvalidTokenException, UnauthorizedException

    token_file = TokenFile(config.twitch.token_file)
    tokens = token_file.load()
    if tokens is None:
        raise AuthError(f"no Twitch login yet ({token_file.path} does not exist); run `twitch-mood auth`")
    twitch = await _client(config)

    async def store_refreshed(token: str, refresh: str) -> None:
        try:
            token_file.save(Tokens(token, refresh))
        except OSError as exc:
            raise AuthError(f"cannot store the refreshed Twitch token in {token_file.path}: "
                            f"{exc.strerror or exc}; check that directory, then start again") from None
        log.info("Twitch token refreshed and stored")

    twitch.user_auth_refresh_callback = store_refreshed
    loop = asyncio.get_running_loop()
    started, delay, attempt = loop.time(), first_retry_s, 0
    try:
        while True:
            attempt += 1
            try:
                await _reach(_validate(config, tokens.token), config)
                await _reach(twitch.set_user_authentication(tokens.token, _scopes(), tokens.refresh), config)
                return twitch
            except TwitchUnreachable as exc:
                waited = loop.time() - started
                left = None if retry_for_s is None else retry_for_s - waited
                if left is not None and left <= 0:
                    raise _unreachable(config, exc.__cause__ or exc,
                                       waited=f" after {attempt} tries in {waited:.0f} s") from None
                pause = delay if left is None else min(delay, left)
                log.warning("%s; try %d, next in %.3g s", exc, attempt, pause)
                await asyncio.sleep(pause)
                delay = min(delay * 2, max_retry_s)
    except (InvalidTokenException, InvalidRefreshTokenException, UnauthorizedException) as exc:
        await twitch.close()
        raise AuthError(f"Twitch rejected the stored login ({type(exc).__name__}); "
                        "run `twitch-mood auth` to log in again") from None
    except BaseException:
        await twitch.close()
        raise
