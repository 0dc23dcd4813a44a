"""bot/emotes.py: a streamer's edited emote CSV is read again while the bot runs; a bad edit is one
warning and keeps the emotes read before."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from bot.emotes import EmoteReloader
from model.lexicon import Lexicon, read_lexicon


class ReadingScorer:
    """Reads the files as the Scorer does (all before any is used) and keeps what it read."""

    def __init__(self) -> None:
        self.emotes: Lexicon | None = None
        self.own: dict[str, Lexicon] = {}

    def use_emotes(self, emotes: str | Path | None = None,
                   channels: Mapping[str, str | Path] | None = None) -> None:
        base = read_lexicon(emotes, one_word=True) if emotes else Lexicon()
        own = {name: read_lexicon(path, one_word=True) for name, path in (channels or {}).items()}
        self.emotes, self.own = base, own


def write(path: Path, text: str, tick: int = 1) -> None:
    """Write, keeping the modification time at `tick` s: an edit within a file system's time step
    (a whole second on some) must count all the same."""
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(tick * 10**9, tick * 10**9))


async def test_an_edit_is_read_once_a_bad_one_warns_and_keeps_the_last_good_read(tmp_path, caplog):
    emotes, own = tmp_path / "emotes.csv", tmp_path / "own.csv"
    write(emotes, "token,sentiment\nwubFlib,0.9\n", 1)
    write(own, "token,sentiment\nzorpHi,0.5\n", 1)
    scorer = ReadingScorer()
    scorer.use_emotes(str(emotes), {"one": str(own)})  # what the bot read at start
    reloader = EmoteReloader(scorer, str(emotes), {"one": str(own)}, interval_s=0.5)

    assert not await reloader.check()  # nothing changed: nothing read
    write(emotes, "token,sentiment\nwubFlib,-0.9\n", 2)
    with caplog.at_level(logging.INFO, logger="twitch_mood.emotes"):
        assert await reloader.check()
    assert scorer.emotes is not None and scorer.emotes.sentiment("wubFlib") == -0.9
    assert [r.getMessage() for r in caplog.records] == [f"emotes read again from {emotes}"]

    caplog.clear()
    write(own, "token,sentiment\nzorpHi,lots\n", 3)  # a typo while the stream runs
    with caplog.at_level(logging.INFO, logger="twitch_mood.emotes"):
        assert not await reloader.check()
        assert not await reloader.check()  # reported once, not every check
    assert scorer.emotes.sentiment("wubFlib") == -0.9 and scorer.own["one"].sentiment("zorpHi") == 0.5
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and "\n" not in record.getMessage()
    assert record.getMessage().startswith(f"{own}:2: sentiment 'lots' is not a number")

    write(own, "token,sentiment\nzorpHi,0.25\n", 3)  # fixed: the same size and time as the bad edit
    assert await reloader.check()
    assert scorer.own["one"].sentiment("zorpHi") == 0.25 and reloader.reloads == 2
    os.utime(own)  # touched, not changed: nothing to read
    assert not await reloader.check()


async def test_a_file_gone_mid_save_keeps_the_emotes_and_is_read_when_it_is_back(tmp_path, caplog):
    emotes = tmp_path / "emotes.csv"
    write(emotes, "token,sentiment\nwubFlib,0.9\n", 1)
    scorer = ReadingScorer()
    scorer.use_emotes(str(emotes))
    reloader = EmoteReloader(scorer, str(emotes), {}, interval_s=0.5)
    emotes.unlink()
    with caplog.at_level(logging.WARNING, logger="twitch_mood.emotes"):
        assert not await reloader.check()
    assert "cannot read it" in caplog.records[0].getMessage()
    assert scorer.emotes is not None and scorer.emotes.sentiment("wubFlib") == 0.9
    write(emotes, "token,sentiment\nwubFlib,0.2\n", 2)
    assert await reloader.check()
    assert scorer.emotes.sentiment("wubFlib") == 0.2
