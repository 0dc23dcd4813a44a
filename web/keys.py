"""The overlay key: a random secret in the overlay URLs, kept in a file only its owner can read.
Rotating it (`twitch-mood overlay-key --rotate`) makes every old URL fail, also in a running bot,
which re-reads the file when it changes."""

from __future__ import annotations

import hmac
import logging
import os
import re
import secrets
import shlex
import stat
from pathlib import Path

from mood.errors import TwitchMoodError

log = logging.getLogger(__name__)
_URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")  # what token_urlsafe writes, and what a URL carries as is


class KeyFileError(TwitchMoodError):
    """The overlay key file cannot be used; the message names it and says what to do."""


class OverlayKey:
    """`current()` creates the key file (mode 0600) on first use; `matches(k)` checks a URL's key."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self._cached: tuple[float, str] | None = None

    def current(self) -> str:
        """The key; a one-line KeyFileError where the file is no regular file, others may read
        it (as the token file), it cannot be read, or it holds what a URL cannot carry."""
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return self.rotate()
        except OSError as exc:
            raise self._cannot("read", exc) from None
        if not stat.S_ISREG(status.st_mode):
            raise KeyFileError(f"overlay key file {self.path} is not a file; remove it, or set "
                               "web.overlay_key_file")
        mode = stat.S_IMODE(status.st_mode)
        if mode & 0o077:
            raise KeyFileError(f"overlay key file {self.path} is readable or writable by others (mode "
                               f"{mode:04o}); run `chmod 600 {shlex.quote(str(self.path))}`")
        if self._cached is None or self._cached[0] != status.st_mtime:
            try:
                key = self.path.read_text(encoding="ascii").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise self._cannot("read", exc) from None
            if not key:
                return self.rotate()
            if not _URL_SAFE.fullmatch(key):
                raise KeyFileError(f"overlay key file {self.path} holds characters an overlay URL cannot "
                                   "carry; run `twitch-mood overlay-key --rotate` for a new key")
            self._cached = (status.st_mtime, key)
        return self._cached[1]

    def matches(self, candidate: str | None) -> bool:
        """Whether a URL's key is the current one; a key file that cannot be used lets no URL in
        (with a warning) rather than failing the request."""
        try:
            key = self.current()
        except KeyFileError as exc:
            log.warning("%s", exc)
            return False
        return bool(candidate) and hmac.compare_digest(candidate or "", key)

    def rotate(self) -> str:
        """Write a new random key (mode 0600) and return it."""
        key = secrets.token_urlsafe(24)
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(key + "\n")
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except OSError as exc:
            raise self._cannot("write", exc) from None
        self._cached = (self.path.stat().st_mtime, key)
        return key

    def _cannot(self, doing: str, exc: Exception) -> KeyFileError:
        return KeyFileError(f"overlay key file {self.path}: cannot {doing} it "
                            f"({getattr(exc, 'strerror', None) or exc})")
