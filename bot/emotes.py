"""Streamers' emote CSVs read again while the bot runs: an edited `model.emotes` or channel
`emotes:` file counts within two checks (`model.emotes_check_s`, 2 s), with no restart.

A change counts once two checks in a row find the same bytes, so a save still being written is
not read half-done. Each file keeps its last good read. One that cannot be read (a bad line,
gone, not a file) is one WARNING line naming the file and line, and its last good read stays in
force until it is fixed; edits to the other files count meanwhile.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping
from typing import Protocol

from model.lexicon import Lexicon, LexiconError, lexicon_bytes, parse_lexicon

log = logging.getLogger("twitch_mood.emotes")


class EmoteReader(Protocol):
    """What the reloader needs of the Scorer: the files' contents to use from now on."""

    def apply_emotes(self, emotes: Lexicon | None, channels: Mapping[str, Lexicon]) -> None: ...


def _read(path: str) -> bytes | LexiconError:
    """The file's bytes, or why they cannot be read."""
    try:
        return lexicon_bytes(path)
    except LexiconError as exc:
        return exc


def _digest(data: bytes | LexiconError) -> str | None:
    return hashlib.sha256(data).hexdigest() if isinstance(data, bytes) else None


class EmoteReloader:
    """`load()` reads every file at start (a bad one is an error there); then `await run()`,
    under the bot's supervisor, reads a file again once its bytes have changed and settled, and
    hands the scorer the last good read of each (`apply_emotes`)."""

    def __init__(self, scorer: EmoteReader, emotes: str, channels: Mapping[str, str], *,
                 interval_s: float) -> None:
        self.scorer, self.emotes, self.channels = scorer, emotes, dict(channels)
        self.interval_s = interval_s
        self.files = sorted({emotes, *channels.values()} - {""})
        self.good: dict[str, Lexicon] = {}  # each file's last good read
        # The sha256 of each file's bytes (None: unreadable): as last used or reported, and as
        # found by the check before. The bytes, not the modification time: an edit within a file
        # system's time step (a second on some) counts.
        self.seen: dict[str, str | None] = {}
        self.found: dict[str, str | None] = {}

    def load(self) -> None:
        """Read every file and hand them to the scorer; LexiconError where one cannot be read."""
        for path in self.files:
            data = lexicon_bytes(path)
            self.good[path] = parse_lexicon(data, path, one_word=True)
            self.seen[path] = self.found[path] = _digest(data)
        self._apply()

    async def run(self) -> None:
        """Check every `interval_s` until cancelled."""
        while True:
            await asyncio.sleep(self.interval_s)
            await self.check()

    async def check(self) -> bool:
        """Read the files changed since the last read and unchanged since the last check; True
        when a new read is in force."""
        return await asyncio.to_thread(self._check)

    def _check(self) -> bool:
        changed = []
        for path in self.files:
            data = _read(path)
            digest, settled = _digest(data), self.found[path]
            self.found[path] = digest
            if digest == self.seen[path] or digest != settled:
                continue  # as last used or reported, or still being written
            self.seen[path] = digest
            try:
                if isinstance(data, LexiconError):
                    raise data
                self.good[path] = parse_lexicon(data, path, one_word=True)  # the bytes hashed
            except LexiconError as exc:
                log.warning("%s; its last good read stays in force until it is fixed", exc)
                continue
            changed.append(path)
        if not changed:
            return False
        self._apply()
        log.info("emotes read again from %s", ", ".join(changed))
        return True

    def _apply(self) -> None:
        self.scorer.apply_emotes(self.good.get(self.emotes),
                                 {channel: self.good[path] for channel, path in self.channels.items()})
