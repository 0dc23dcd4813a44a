"""Streamers' emote CSVs read again while the bot runs: an edited `model.emotes` or channel
`emotes:` file counts within `model.emotes_check_s` seconds, with no restart.

Each file keeps its last good read. One that cannot be read (half saved, a bad line, gone) is one
WARNING line naming the file and line, and its last good read stays in force until it is fixed;
edits to the other files count meanwhile.
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
    def apply_emotes(self, emotes: Lexicon | None, channels: Mapping[str, Lexicon]) -> None: ...


class EmoteReloader:
    """`load()` reads every file at start (a bad one is an error there); then `await run()`,
    under the bot's supervisor, reads a file again whenever its bytes change and hands the
    scorer the last good read of each (`apply_emotes`)."""

    def __init__(self, scorer: EmoteReader, emotes: str, channels: Mapping[str, str], *,
                 interval_s: float) -> None:
        self.scorer, self.emotes, self.channels = scorer, emotes, dict(channels)
        self.interval_s = interval_s
        self.files = sorted({emotes, *channels.values()} - {""})
        self.good: dict[str, Lexicon] = {}  # each file's last good read
        # The sha256 of each file's bytes as last seen (None: unreadable). The bytes, not the
        # modification time: an edit within a file system's time step (a second on some) counts.
        self.seen: dict[str, str | None] = {}
        self.reloads = 0

    def load(self) -> None:
        for path in self.files:
            data = lexicon_bytes(path)
            self.good[path] = parse_lexicon(data, path, one_word=True)
            self.seen[path] = hashlib.sha256(data).hexdigest()
        self._apply()

    async def run(self) -> None:
        """Check every `interval_s` until cancelled."""
        while True:
            await asyncio.sleep(self.interval_s)
            await self.check()

    async def check(self) -> bool:
        """Read the changed files; True when a new read is in force."""
        return await asyncio.to_thread(self._check)

    def _check(self) -> bool:
        changed = []
        for path in self.files:
            try:
                data: bytes | None = lexicon_bytes(path)
                error = None
            except LexiconError as exc:
                data, error = None, exc
            digest = None if data is None else hashlib.sha256(data).hexdigest()
            if digest == self.seen[path]:
                continue  # unchanged, or still as bad as when it was reported
            self.seen[path] = digest
            try:
                if data is None:
                    raise error or LexiconError(f"lexicon {path}: cannot read it")
                self.good[path] = parse_lexicon(data, path, one_word=True)  # the bytes hashed
            except LexiconError as exc:
                log.warning("%s; its last good read stays in force until it is fixed", exc)
                continue
            changed.append(path)
        if not changed:
            return False
        self._apply()
        self.reloads += 1
        log.info("emotes read again from %s", ", ".join(changed))
        return True

    def _apply(self) -> None:
        self.scorer.apply_emotes(self.good.get(self.emotes),
                                 {channel: self.good[path] for channel, path in self.channels.items()})
