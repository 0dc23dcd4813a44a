"""A database file the bot cannot use fails `Store.open` with one `StoreError` line that names the
path and says what to do, never a traceback; and a file that is not ours is never changed."""

from __future__ import annotations

import sqlite3

import aiosqlite
import pytest

from bot.schema import SCHEMA_VERSION, StoreError
from bot.store import Store
from mood.errors import TwitchMoodError


def read_only_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    """Open every database read-only, as SQLite does in a directory this user cannot write.

    The tests run as root, and root ignores directory and file permissions, so a chmod'ed
    directory would not fault. SQLite's own `mode=ro` gives the same errors a read-only directory
    gives ("unable to open database file" for a new file, "attempt to write a readonly database"
    for an existing one), whoever runs the test."""
    real_connect = aiosqlite.connect

    def connect(path, **kwargs):
        return real_connect(f"file:{path}?mode=ro", uri=True, **kwargs)

    monkeypatch.setattr(aiosqlite, "connect", connect)


def assert_one_line_naming(exc: pytest.ExceptionInfo[StoreError], path) -> str:
    message = str(exc.value)
    assert isinstance(exc.value, TwitchMoodError)
    assert str(path) in message and "\n" not in message
    assert exc.value.__cause__ is None or exc.value.__suppress_context__
    return message


async def test_new_database_in_a_read_only_directory_says_where_and_what_to_do(tmp_path, monkeypatch):
    path = tmp_path / "mood.db"
    read_only_sqlite(monkeypatch)
    with pytest.raises(StoreError) as exc:
        await Store(path).open()
    message = assert_one_line_naming(exc, path)
    assert "write" in message and "storage.path" in message


async def test_existing_database_that_cannot_be_written_says_where_and_what_to_do(tmp_path, monkeypatch):
    path = tmp_path / "mood.db"
    async with Store(path):
        pass
    (tmp_path / "mood.db-wal").unlink(missing_ok=True)
    (tmp_path / "mood.db-shm").unlink(missing_ok=True)
    read_only_sqlite(monkeypatch)
    with pytest.raises(StoreError) as exc:
        await Store(path).open()
    message = assert_one_line_naming(exc, path)
    assert "read-only" in message and "storage.path" in message


async def test_open_that_the_operating_system_refuses_is_one_line(tmp_path, monkeypatch):
    path = tmp_path / "mood.db"

    def refuse(*args, **kwargs):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(aiosqlite, "connect", refuse)
    with pytest.raises(StoreError) as exc:
        await Store(path).open()
    assert "cannot open" in assert_one_line_naming(exc, path)


async def test_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("shopping list: milk, eggs\n" * 200)
    before = path.read_bytes()
    with pytest.raises(StoreError) as exc:
        await Store(path).open()
    assert "not an SQLite database" in assert_one_line_naming(exc, path)
    assert path.read_bytes() == before


async def test_another_programs_database_is_refused_not_migrated(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO users VALUES (1, 'ada')")
    db.close()
    with pytest.raises(StoreError) as exc:
        await Store(path).open()
    message = assert_one_line_naming(exc, path)
    assert "not a twitch-mood database" in message and "users" in message
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables == {"users"}
        assert db.execute("PRAGMA user_version").fetchone()[0] == 0
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    db.close()


async def test_another_programs_versioned_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE settings (key TEXT, value TEXT)")
        db.execute("PRAGMA user_version = 1")
    db.close()
    with pytest.raises(StoreError) as exc:
        await Store(path).open()
    assert "not a twitch-mood database" in assert_one_line_naming(exc, path)


async def test_empty_file_is_set_up_as_a_new_database(tmp_path):
    path = tmp_path / "mood.db"
    path.touch()
    async with Store(path):
        pass
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


async def test_database_from_a_newer_version_names_the_path(tmp_path):
    path = tmp_path / "mood.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError) as exc:
        await Store(path).open()
    assert "upgrade twitch-mood" in assert_one_line_naming(exc, path)


async def test_path_under_a_file_is_refused(tmp_path):
    (tmp_path / "data").write_text("not a directory")
    path = tmp_path / "data" / "mood.db"
    with pytest.raises(StoreError) as exc:
        await Store(path).open()
    message = assert_one_line_naming(exc, path)
    assert "not a directory" in message and "storage.path" in message


async def test_path_that_is_a_directory_is_refused(tmp_path):
    path = tmp_path / "mood.db"
    path.mkdir()
    with pytest.raises(StoreError) as exc:
        await Store(path).open()
    assert "directory" in assert_one_line_naming(exc, path)
