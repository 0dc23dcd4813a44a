"""The SQLite store: batched per-minute aggregates, alerts, settings, migrations, restore."""

from __future__ import annotations

import sqlite3

import pytest

from bot.config import MoodConfig
from bot.schema import MIGRATIONS, SCHEMA_VERSION, StoreError
from bot.store import Store
from mood.tracker import MoodTracker, Swing

T0 = 1_700_000_040.0  # a minute boundary


async def test_messages_are_summed_per_minute_and_written_in_one_flush(tmp_path):
    async with Store(tmp_path / "mood.db") as store:
        for i in range(90):
            store.record("chan", T0 + i, 0.5 if i % 3 else -0.5, "positive" if i % 3 else "negative")
        assert store.pending == 90
        assert await store.message_count("chan") == 0  # nothing written before the flush
        assert await store.flush() == 90
        assert store.pending == 0
        buckets = await store.minute_buckets("chan", since=T0)
    assert [(b.start, b.count) for b in buckets] == [(T0, 60), (T0 + 60, 30)]
    assert buckets[0].positive == 40 and buckets[0].negative == 20
    assert buckets[0].total == pytest.approx(40 * 0.5 - 20 * 0.5)


async def test_flushes_into_the_same_minute_add_up(tmp_path):
    async with Store(tmp_path / "mood.db") as store:
        store.record("chan", T0 + 1, 1.0, "positive")
        await store.flush()
        store.record("chan", T0 + 2, -1.0, "negative")
        await store.flush()
        [bucket] = await store.minute_buckets("chan", since=T0)
        assert (bucket.count, bucket.positive, bucket.negative, bucket.total) == (2, 1, 1, 0.0)


async def test_close_flushes_pending_stats(tmp_path):
    path = tmp_path / "mood.db"
    async with Store(path) as store:
        store.record("chan", T0, 0.1, "neutral")
    async with Store(path) as store:
        assert await store.message_count("chan") == 1


async def test_failed_flush_keeps_rows_pending(tmp_path):
    async with Store(tmp_path / "mood.db") as store:
        store.record("chan", T0, 0.2, "neutral")
        await store.db.execute("DROP TABLE minute_stats")
        with pytest.raises(sqlite3.OperationalError):
            await store.flush()
        assert store.pending == 1
        await store.db.execute("CREATE TABLE minute_stats (channel TEXT, minute INTEGER, count INTEGER, "
                               "total REAL, negative INTEGER, neutral INTEGER, positive INTEGER, "
                               "PRIMARY KEY (channel, minute))")
        assert await store.flush() == 1


async def test_failed_flush_keeps_rows_pending_even_when_the_rollback_fails(tmp_path, monkeypatch):
    async with Store(tmp_path / "mood.db") as store:
        store.record("chan", T0, 0.2, "neutral")

        async def fail(*args):
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(store.db, "commit", fail)
        monkeypatch.setattr(store.db, "rollback", fail)
        with pytest.raises(sqlite3.OperationalError):
            await store.flush()
        assert store.pending == 1
        monkeypatch.undo()
        assert await store.flush() == 1


async def test_text_is_stored_only_with_keep_messages(tmp_path):
    for keep, expected in ((False, 0), (True, 1)):
        path = tmp_path / f"keep-{keep}.db"
        async with Store(path, keep_messages=keep) as store:
            store.record("chan", T0, 0.9, "positive", user="viewer", text="W stream")
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == expected


async def test_alerts_are_recorded_with_reason(tmp_path):
    async with Store(tmp_path / "mood.db") as store:
        store.record_alert("chan", Swing(at=T0, before=0.4, after=-0.3, sent=True))
        store.record_alert("chan", Swing(at=T0 + 5, before=0.4, after=-0.5, sent=False, reason="cooldown"))
        await store.flush()
        alerts = await store.alerts("chan")
    assert [(a.sent, a.reason) for a in alerts] == [(True, ""), (False, "cooldown")]


async def test_alert_setting_survives_reopening(tmp_path):
    path = tmp_path / "mood.db"
    async with Store(path) as store:
        assert await store.channel_setting("chan") is None
        await store.set_alerts_enabled("chan", False, changed_by="mod_anna", changed_at=T0)
    async with Store(path) as store:
        setting = await store.channel_setting("chan")
    assert setting is not None
    assert (setting.alerts_enabled, setting.changed_by, setting.changed_at) == (False, "mod_anna", T0)


async def test_new_database_is_at_the_current_schema_version_in_wal_mode(tmp_path):
    path = tmp_path / "mood.db"
    async with Store(path):
        pass
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_database_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "mood.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this twitch-mood"):
        await Store(path).open()


async def test_version_1_database_is_migrated_keeping_its_minutes(tmp_path):
    path = tmp_path / "mood.db"
    with sqlite3.connect(path) as db:
        db.executescript(f"{MIGRATIONS[0]} PRAGMA user_version = 1;")
        db.execute("INSERT INTO minute_stats VALUES ('chan', ?, 3, 1.5, 0.9, 0, 1, 2)", (int(T0 // 60),))
    async with Store(path) as store:
        [bucket] = await store.minute_buckets("chan", since=T0)
    assert (bucket.count, bucket.total, bucket.neutral, bucket.positive) == (3, 1.5, 1, 2)


async def test_tracker_restored_from_aggregates_reports_the_last_minutes(tmp_path):
    path = tmp_path / "mood.db"
    async with Store(path) as store:
        for i in range(120):
            store.record("chan", T0 + i, 0.8, "positive")
    async with Store(path) as store:
        tracker = MoodTracker(MoodConfig())
        for bucket in await store.minute_buckets("chan", since=T0 + 125 - 900):
            tracker.restore(bucket)
    current, _ = tracker.report(T0 + 125)
    assert current.count == 120
    assert current.mean == pytest.approx(0.8)
