"""bot/emotes.py: a streamer's edited emote CSV is read again while the bot runs, once two checks
find the same bytes; a bad edit is one warning, and that file's last good read stays in force
while edits to the others count."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from bot.emotes import EmoteReloader
from model.lexicon import Lexicon, LexiconError


class ReadingScorer:
    """Keeps what the reloader hands it, as Scorer.apply_emotes does."""

    def __init__(self) -> None:
        self.emotes: Lexicon | None = None
        self.own: dict[str, Lexicon] = {}

    def apply_emotes(self, emotes: Lexicon | None, channels: Mapping[str, Lexicon]) -> None:
        self.emotes, self.own = emotes, dict(channels)


def write(path: Path, text: str, tick: int = 1) -> None:
    """Write, keeping the modification time at `tick` s: an edit within a file system's time step
    (a whole second on some) must count all the same."""
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(tick * 10**9, tick * 10**9))


async def settled(reloader: EmoteReloader) -> bool:
    """Two checks: the first finds the change, the second finds it settled and reads it."""
    assert not await reloader.check()
    return await reloader.check()


def reloader_of(tmp_path: Path, emotes: str, own: str | None = None) -> tuple[EmoteReloader, ReadingScorer]:
    write(tmp_path / "emotes.csv", f"token,sentiment\n{emotes}\n")
    channels = {}
    if own is not None:
        write(tmp_path / "own.csv", f"token,sentiment\n{own}\n")
        channels = {"one": str(tmp_path / "own.csv")}
    scorer = ReadingScorer()
    reloader = EmoteReloader(scorer, str(tmp_path / "emotes.csv"), channels, interval_s=0.5)
    reloader.load()
    return reloader, scorer


async def test_an_edit_is_read_once_a_bad_one_warns_once_and_keeps_the_last_good_read(tmp_path, caplog):
    reloader, scorer = reloader_of(tmp_path, "wubFlib,0.9", own="zorpHi,0.5")
    emotes, own = tmp_path / "emotes.csv", tmp_path / "own.csv"
    assert scorer.emotes is not None and scorer.emotes.sentiment("wubFlib") == 0.9
    assert not await reloader.check()  # nothing changed: nothing read

    write(emotes, "token,sentiment\nwubFlib,-0.9\n")
    with caplog.at_level(logging.INFO, logger="twitch_mood.emotes"):
        assert await settled(reloader)
    assert scorer.emotes is not None and scorer.emotes.sentiment("wubFlib") == -0.9
    assert [r.getMessage() for r in caplog.records] == [f"emotes read again from {emotes}"]

    caplog.clear()
    write(own, "token,sentiment\nzorpHi,lots\n")  # a typo while the stream runs
    with caplog.at_level(logging.INFO, logger="twitch_mood.emotes"):
        assert not await settled(reloader)
        assert not await reloader.check()  # reported once, not every check
    assert scorer.own["one"].sentiment("zorpHi") == 0.5
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and "\n" not in record.getMessage()
    assert record.getMessage().startswith(f"{own}:2: sentiment 'lots' is not a number")

    write(own, "token,sentiment\nzorpHi,0.25\n")  # fixed: the same size and time as the bad edit
    assert await settled(reloader)
    assert scorer.own["one"].sentiment("zorpHi") == 0.25
    os.utime(own)  # touched, not changed: nothing to read
    assert not await settled(reloader)


async def test_a_save_still_being_written_is_not_read_until_it_settles(tmp_path, caplog):
    reloader, scorer = reloader_of(tmp_path, "wubFlib,0.9")
    emotes = tmp_path / "emotes.csv"
    with caplog.at_level(logging.WARNING, logger="twitch_mood.emotes"):
        write(emotes, "")  # an editor truncates first ...
        assert not await reloader.check()
        write(emotes, "token,sentiment\nwubFlib,0.9\nnew")  # ... and writes on
        assert not await reloader.check()
        write(emotes, "token,sentiment\nwubFlib,0.9\nnewEmote,-0.4\n")
        assert not await reloader.check()
        assert await reloader.check()
    assert caplog.records == []  # no half-saved state was read, or reported
    assert scorer.emotes is not None and scorer.emotes.sentiment("newEmote") == -0.4


async def test_a_bad_channel_file_does_not_hold_back_an_edit_of_the_global_one(tmp_path):
    reloader, scorer = reloader_of(tmp_path, "wubFlib,0.9", own="zorpHi,0.5")
    write(tmp_path / "own.csv", "token,sentiment\nzorpHi,oops\n")
    write(tmp_path / "emotes.csv", "token,sentiment\nwubFlib,0.9\nnewEmote,0.8\n")
    assert await settled(reloader)
    assert scorer.emotes is not None and scorer.emotes.sentiment("newEmote") == 0.8
    assert scorer.own["one"].sentiment("zorpHi") == 0.5  # the channel file's last good read


async def test_a_file_gone_mid_save_keeps_its_last_read_and_is_read_when_it_is_back(tmp_path, caplog):
    reloader, scorer = reloader_of(tmp_path, "wubFlib,0.9")
    emotes = tmp_path / "emotes.csv"
    emotes.unlink()
    with caplog.at_level(logging.WARNING, logger="twitch_mood.emotes"):
        assert not await settled(reloader)
    assert "cannot read it" in caplog.records[0].getMessage()
    assert scorer.emotes is not None and scorer.emotes.sentiment("wubFlib") == 0.9
    write(emotes, "token,sentiment\nwubFlib,0.2\n")
    assert await settled(reloader)
    assert scorer.emotes.sentiment("wubFlib") == 0.2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
async def test_a_fifo_in_place_of_the_file_is_refused_not_waited_on(tmp_path, caplog):
    reloader, scorer = reloader_of(tmp_path, "wubFlib,0.9")
    emotes = tmp_path / "emotes.csv"
    emotes.unlink()
    os.mkfifo(emotes)  # opening it for reading would block until someone writes
    with caplog.at_level(logging.WARNING, logger="twitch_mood.emotes"):
        assert not await settled(reloader)
    assert caplog.records[0].getMessage().startswith(f"lexicon {emotes}: not a file")
    assert scorer.emotes is not None and scorer.emotes.sentiment("wubFlib") == 0.9


def test_at_start_a_bad_file_is_an_error(tmp_path):
    write(tmp_path / "emotes.csv", "token,sentiment\nwubFlib,0,5\n")
    reloader = EmoteReloader(ReadingScorer(), str(tmp_path / "emotes.csv"), {}, interval_s=0.5)
    with pytest.raises(LexiconError, match=r"emotes\.csv:2: sentiment 0,5 has a decimal comma"):
        reloader.load()
