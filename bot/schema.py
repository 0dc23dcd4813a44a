"""The statistics database's schema, its migrations, and what a database file that cannot be used
says: one line naming the path and what to do."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from mood.errors import TwitchMoodError

# Each entry upgrades the schema by one version (PRAGMA user_version); never edit a released one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE minute_stats (
        channel TEXT NOT NULL, minute INTEGER NOT NULL,
        count INTEGER NOT NULL, total REAL NOT NULL, squares REAL NOT NULL,
        negative INTEGER NOT NULL, neutral INTEGER NOT NULL, positive INTEGER NOT NULL,
        PRIMARY KEY (channel, minute)
    );
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY, channel TEXT NOT NULL, at REAL NOT NULL,
        before REAL NOT NULL, after REAL NOT NULL, sent INTEGER NOT NULL, reason TEXT NOT NULL
    );
    CREATE INDEX alerts_channel_at ON alerts (channel, at);
    CREATE TABLE channel_settings (
        channel TEXT PRIMARY KEY, alerts_enabled INTEGER NOT NULL,
        changed_by TEXT NOT NULL, changed_at REAL NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY, channel TEXT NOT NULL, at REAL NOT NULL, user TEXT NOT NULL,
        text TEXT NOT NULL, value REAL NOT NULL, label TEXT NOT NULL
    );
    """,
    # 2: the sum of squares was never read
    "ALTER TABLE minute_stats DROP COLUMN squares;",
    # 3: every switch of the alerts, not only the last (the dashboard shows who and when)
    """
    CREATE TABLE alert_switches (
        id INTEGER PRIMARY KEY, channel TEXT NOT NULL, at REAL NOT NULL, enabled INTEGER NOT NULL,
        changed_by TEXT NOT NULL
    );
    CREATE INDEX alert_switches_channel_at ON alert_switches (channel, at);
    INSERT INTO alert_switches (channel, at, enabled, changed_by)
        SELECT channel, changed_at, alerts_enabled, changed_by FROM channel_settings;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
# Our tables: a version-0 file holding any other table belongs to another program.
OUR_TABLES = frozenset(re.findall(r"CREATE TABLE (\w+)", "".join(MIGRATIONS)))


def tables_at(version: int) -> frozenset[str]:
    """The tables a database of schema `version` has."""
    return frozenset(re.findall(r"CREATE TABLE (\w+)", "".join(MIGRATIONS[:version])))
UPSERT_MINUTE = """
    INSERT INTO minute_stats VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (channel, minute) DO UPDATE SET
        count = count + excluded.count, total = total + excluded.total,
        negative = negative + excluded.negative,
        neutral = neutral + excluded.neutral, positive = positive + excluded.positive
"""


class StoreError(TwitchMoodError):
    """The database file cannot be used; the message names the path and what to do."""


def unusable(path: Path, exc: sqlite3.Error) -> StoreError:
    """SQLite's reason for refusing `path`, as one line that says what to do."""
    said = f"SQLite: {exc}"
    reason = str(exc).lower()
    if "not a database" in reason or "malformed" in reason:
        return StoreError(f"{path} is not an SQLite database or is damaged ({said}); it may belong to "
                          "another program: move it away or set storage.path to another file")
    if "readonly" in reason:
        return StoreError(f"{path} is read-only for this user ({said}); make it and its directory "
                          f"writable (SQLite writes {path.name}-wal and {path.name}-shm next to it) "
                          "or set storage.path to another file")
    if "unable to open" in reason or "cannot open" in reason:
        return StoreError(f"cannot open {path} ({said}); check that this user may read and write it "
                          "and write in its directory, or set storage.path to another file")
    if "locked" in reason or "busy" in reason:
        return StoreError(f"{path} is locked by another program ({said}); stop the other twitch-mood "
                          "using it or set storage.path to another file")
    if "full" in reason:
        return StoreError(f"cannot write {path}: the disk is full ({said}); free some space or set "
                          "storage.path to a file on another disk")
    return StoreError(f"cannot use {path} as the statistics database ({said}); check the file and "
                      "its disk, or set storage.path to another file")
