"""The statistics writer when the disk fills mid-run: nothing pending is lost once writing works
again, the failure is logged once, the backlog stays bounded, and shutdown says what was lost."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import aiosqlite
import pytest

from bot.store import Store
from bot.writer import StatsWriter
from mood.tracker import Swing

T0 = 1_700_000_040.0  # a minute boundary
FULL = "database or disk is full"


class DiskFull:
    """Makes the store's connection fail its writes the way SQLite does on a full disk.

    Injected at the aiosqlite layer (executemany and commit of the open connection): a real full
    disk cannot be made on demand, and as root a read-only file is no fault at all."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, db: aiosqlite.Connection) -> None:
        self.on = False
        self.attempts = 0
        executemany, commit = db.executemany, db.commit

        async def failing_executemany(sql, rows):
            self.attempts += sql.lstrip().startswith("INSERT INTO minute_stats")
            if self.on:
                raise sqlite3.OperationalError(FULL)
            return await executemany(sql, rows)

        async def failing_commit():
            if self.on:
                raise sqlite3.OperationalError(FULL)
            await commit()

        monkeypatch.setattr(db, "executemany", failing_executemany)
        monkeypatch.setattr(db, "commit", failing_commit)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def stored_counts(store: Store) -> int:
    async with store.db.execute("SELECT COALESCE(SUM(count), 0) FROM minute_stats") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def levels(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "twitch_mood.storage" and r.levelno == level]


async def test_nothing_pending_is_lost_when_writing_works_again(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    async with Store(tmp_path / "mood.db") as store:
        disk = DiskFull(monkeypatch, store.db)
        writer = StatsWriter(store, interval_s=0.005, max_backlog_minutes=60, first_retry_s=0.01,
                             max_retry_s=0.02)
        loop = asyncio.create_task(writer.run())
        recorded = 0
        for step in range(60):
            disk.on = 10 <= step < 40  # the disk fills, then space is freed
            for _ in range(5):
                store.record("chan", T0 + step, 0.5, "positive")
                recorded += 1
            await asyncio.sleep(0.003)
        while store.pending:
            await asyncio.sleep(0.005)
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        assert await writer.close() == 0
        assert await stored_counts(store) == recorded
    assert disk.attempts > 3  # it did retry while the disk was full
    [error] = levels(caplog, logging.ERROR)
    assert FULL in error.getMessage() and str(store.path) in error.getMessage()
    assert error.exc_info is None  # one line, no traceback
    [recovered] = levels(caplog, logging.INFO)
    assert "works again" in recovered.getMessage()


async def test_backlog_keeps_the_newest_minutes_and_counts_the_dropped(tmp_path, monkeypatch):
    async with Store(tmp_path / "mood.db", keep_messages=True) as store:
        disk = DiskFull(monkeypatch, store.db)
        disk.on = True
        clock = Clock()
        writer = StatsWriter(store, interval_s=1, max_backlog_minutes=3, clock=clock)
        for minute in range(10):
            for second in range(4):
                store.record("chan", T0 + 60 * minute + second, -0.5, "negative", "viewer", "L")
            store.record_alert("chan", Swing(at=T0 + 60 * minute, before=0.3, after=-0.4, sent=True))
            await writer.tick()
            assert len(store.pending_minutes) <= 3
        assert writer.lost_minutes == {int(T0 // 60) + m for m in range(7)}
        assert (writer.lost_messages, writer.lost_texts, writer.lost_alerts) == (28, 28, 7)
        disk.on = False
        clock.now = 1000.0
        await writer.tick()
        buckets = await store.minute_buckets("chan", since=T0)
        assert [b.start for b in buckets] == [T0 + 60 * m for m in (7, 8, 9)]
        assert await stored_counts(store) == 12
        async with store.db.execute("SELECT COUNT(*), MIN(at) FROM messages") as cursor:
            assert tuple(await cursor.fetchone() or ()) == (12, T0 + 420)
        assert len(await store.alerts("chan")) == 3


async def test_retries_back_off_and_a_warning_reports_the_backlog_each_minute(tmp_path, monkeypatch,
                                                                               caplog):
    caplog.set_level(logging.INFO)
    clock = Clock()
    async with Store(tmp_path / "mood.db") as store:
        disk = DiskFull(monkeypatch, store.db)
        disk.on = True
        writer = StatsWriter(store, interval_s=1, max_backlog_minutes=60, clock=clock)
        tried_at = []
        for second in range(200):
            clock.now = float(second)
            store.record("chan", T0 + second, 0.1, "neutral")
            before = disk.attempts
            await writer.tick()
            if disk.attempts > before:
                tried_at.append(second)
        disk.on = False
    assert tried_at[:8] == [0, 1, 3, 7, 15, 31, 63, 123]  # 1, 2, 4 .. then at most 60 s apart
    assert tried_at[8:] == [183]
    assert len(levels(caplog, logging.ERROR)) == 1
    warnings = levels(caplog, logging.WARNING)
    assert len(warnings) == 3  # at 60, 120 and 180 s
    assert "messages in 2 minutes pending" in warnings[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records)


async def test_shutdown_reports_the_minutes_that_could_not_be_written(tmp_path, monkeypatch, caplog):
    path = tmp_path / "mood.db"
    async with Store(path) as store:
        disk = DiskFull(monkeypatch, store.db)
        disk.on = True
        writer = StatsWriter(store, interval_s=1, max_backlog_minutes=60, clock=Clock())
        for second in range(150):
            store.record("chan", T0 + second, 0.1, "neutral")
        await writer.tick()
        assert await writer.close() == 3
        assert store.pending == 0  # so closing the store does not fail again
    [*_, last] = levels(caplog, logging.ERROR)
    assert last.getMessage() == (f"3 minutes of statistics (150 messages, 0 alerts) could not be written "
                                 f"to {path}: {FULL}")
