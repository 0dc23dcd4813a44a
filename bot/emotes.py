"""Streamers' emote CSVs read again while the bot runs: an edited `model.emotes` or channel
`emotes:` file counts within `model.emotes_check_s` seconds, with no restart.

A file that cannot be read (half saved, a bad line, gone) is one WARNING line naming the file
and line; the emotes read before stay in force until the file is fixed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from model.lexicon import LexiconError

log = logging.getLogger("twitch_mood.emotes")

# A file as last seen: the sha256 of its bytes, or None where it could not be read. The bytes, not
# the modification time: an edit within a file system's time step (a whole second on some) counts.
Stamp = str | None


class EmoteReader(Protocol):
    def use_emotes(self, emotes: str | Path | None = None,
                   channels: Mapping[str, str | Path] | None = None) -> None: ...


def stamp(path: str) -> Stamp:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


class EmoteReloader:
    """`await run()` under the bot's supervisor: every `interval_s`, if any of the files changed
    since the last read, `scorer.use_emotes(emotes, channels)` reads them all again."""

    def __init__(self, scorer: EmoteReader, emotes: str, channels: Mapping[str, str], *,
                 interval_s: float) -> None:
        self.scorer, self.emotes, self.channels = scorer, emotes, dict(channels)
        self.interval_s = interval_s
        self.files = sorted({emotes, *channels.values()} - {""})
        self.seen = self.stamps()  # what the scorer read at load
        self.reloads = 0

    def stamps(self) -> dict[str, Stamp]:
        return {path: stamp(path) for path in self.files}

    async def run(self) -> None:
        """Check every `interval_s` until cancelled."""
        while True:
            await asyncio.sleep(self.interval_s)
            await self.check()

    async def check(self) -> bool:
        """Read the files again if one changed; True when the new emotes are in force."""
        now = await asyncio.to_thread(self.stamps)
        if now == self.seen:
            return False
        changed = [path for path in self.files if now[path] != self.seen[path]]
        self.seen = now  # a bad file is reported once, and read again when it changes
        try:
            await asyncio.to_thread(self.scorer.use_emotes, self.emotes or None, self.channels)
        except LexiconError as exc:
            log.warning("%s; the emotes read before stay in force until the file is fixed", exc)
            return False
        self.reloads += 1
        log.info("emotes read again from %s", ", ".join(changed))
        return True
