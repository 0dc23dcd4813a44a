"""The overlay key: a random secret in the overlay URLs, kept in a file only its owner can read.
Rotating it (`twitch-mood overlay-key --rotate`) makes every old URL fail, also in a running bot,
which re-reads the file when it changes."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path


class OverlayKey:
    """`current()` creates the key file (mode 0600) on first use; `matches(k)` checks a URL's key."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self._cached: tuple[float, str] | None = None

    def current(self) -> str:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return self.rotate()
        if self._cached is None or self._cached[0] != mtime:
            key = self.path.read_text(encoding="ascii").strip()
            if not key:
                return self.rotate()
            self._cached = (mtime, key)
        return self._cached[1]

    def matches(self, candidate: str | None) -> bool:
        return bool(candidate) and hmac.compare_digest(candidate or "", self.current())

    def rotate(self) -> str:
        """Write a new random key (mode 0600) and return it."""
        key = secrets.token_urlsafe(24)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)
        self._cached = (self.path.stat().st_mtime, key)
        return key
