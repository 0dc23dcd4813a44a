"""Chat log formats: detection, fields, skipped entries, and one-line errors for bad files.

The fixtures in tests/fixtures/chatlogs are shaped like the real tools' output (TwitchDownloader
chat JSON 1.4, chat-downloader's JSON array / JSON lines / flattened CSV, the shared stream CSV),
filled with real chat lines from ../shared/data/chat_stream_2025.csv.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from analysis.chatlog import ChatLogError, read_chat_log
from tests.helpers import CHAT_LOGS


def test_reads_twitchdownloader_json_with_display_names_and_offsets():
    log = read_chat_log(CHAT_LOGS / "twitchdownloader.json")
    document = json.loads((CHAT_LOGS / "twitchdownloader.json").read_text(encoding="utf-8"))
    comments = document["comments"]
    assert log.format == "TwitchDownloader chat JSON"
    assert len(log.messages) == len(comments) == 36
    first = comments[0]
    assert log.messages[0].offset == first["content_offset_seconds"]
    assert log.messages[0].user == first["commenter"]["display_name"]
    assert log.messages[0].text == first["message"]["body"]
    # A comment whose text survives only in its fragments is still read.
    assert "body" not in comments[7]["message"]
    assert log.messages[7].text == comments[7]["message"]["fragments"][0]["text"]
    assert [m.offset for m in log.messages] == sorted(m.offset for m in log.messages)
    assert not log.skipped and log.assumed_rate is None


def test_reads_gzipped_twitchdownloader_json(tmp_path):
    packed = tmp_path / "vod.json.gz"
    packed.write_bytes(gzip.compress((CHAT_LOGS / "twitchdownloader.json").read_bytes()))
    assert read_chat_log(packed).messages == read_chat_log(CHAT_LOGS / "twitchdownloader.json").messages


def test_reads_chat_downloader_array_skipping_events_and_keeping_early_chat():
    log = read_chat_log(CHAT_LOGS / "chat_downloader.json")
    items = json.loads((CHAT_LOGS / "chat_downloader.json").read_text(encoding="utf-8"))
    texts = [i for i in items if i["message_type"] == "text_message"]
    assert log.format == "chat-downloader JSON"
    assert len(log.messages) == len(texts) == 32
    assert log.skipped == {"events that are not chat messages": 1}
    assert log.messages[0].offset < 0  # chat before the VOD's zero keeps its negative offset
    assert log.messages[0].user == texts[0]["author"]["name"]
    assert {"!mood", "Follow the socials: twitter.com/example"} <= {m.text for m in log.messages}


def test_reads_chat_downloader_json_lines_from_a_live_recording():
    log = read_chat_log(CHAT_LOGS / "chat_downloader_live.jsonl")
    good = [json.loads(line) for line in (CHAT_LOGS / "chat_downloader_live.jsonl").read_text().splitlines()
            if line.endswith("}")]
    assert log.format == "chat-downloader JSON lines"
    assert len(log.messages) == len(good) == 24
    assert log.skipped == {"malformed JSON lines": 2}  # one cut in half, one interrupted at the end
    lines = (CHAT_LOGS / "chat_downloader_live.jsonl").read_text().split("\n")
    cut = [f"line {n}" for n, line in enumerate(lines, start=1) if line.strip() and not line.endswith("}")]
    assert log.skipped_summary() == f"2 malformed JSON lines ({', '.join(cut)})"  # where to look
    # Live items have only wall-clock microseconds: offsets count from the first message.
    assert log.messages[0].offset == 0.0
    expected = (good[-1]["timestamp"] - good[0]["timestamp"]) / 1e6
    assert log.messages[-1].offset == pytest.approx(expected)


def test_reads_chat_downloader_csv_by_its_flattened_columns():
    log = read_chat_log(CHAT_LOGS / "chat_downloader.csv")
    assert log.format == "CSV (message 'message', time 'time_in_seconds', user 'author.name')"
    assert len(log.messages) == 24
    assert log.messages[0].offset == pytest.approx(11.474)
    assert log.messages[0].user.startswith("viewer")


def test_csv_without_a_time_column_is_spaced_at_the_assumed_rate():
    log = read_chat_log(CHAT_LOGS / "stream.csv", assumed_rate=4.0)
    assert log.assumed_rate == 4.0
    assert [m.offset for m in log.messages[:3]] == [0.0, 0.25, 0.5]
    assert log.duration == pytest.approx(29 / 4)


def test_csv_times_in_clock_iso_and_epoch_forms(tmp_path):
    clock = tmp_path / "clock.csv"
    clock.write_text("time,user,text\n0:00:05,a,hi\n1:02:03.5,b,yo\n-0:01,c,early\n", encoding="utf-8")
    assert [m.offset for m in read_chat_log(clock).messages] == [-1.0, 5.0, 3723.5]
    iso = tmp_path / "iso.tsv"
    iso.write_text("created_at\tmessage\n2025-03-01T20:00:00Z\tgo\n2025-03-01T20:01:30Z\tgg\n", encoding="utf-8")
    assert [m.offset for m in read_chat_log(iso).messages] == [0.0, 90.0]
    epoch = tmp_path / "epoch.csv"
    epoch.write_text("timestamp;msg\n1735732800000;one\n1735732802500;two\n", encoding="utf-8")
    assert [m.offset for m in read_chat_log(epoch).messages] == [0.0, 2.5]


def test_bad_rows_inside_a_good_csv_are_skipped_and_counted(tmp_path):
    path = tmp_path / "chat.csv"
    path.write_text('\ufefftime,user,message\n1,a,fine\nsoon,b,bad time\n2,c,\n3,d,"multi\nline"\n4\n',
                    encoding="utf-8")
    log = read_chat_log(path)
    assert [m.text for m in log.messages] == ["fine", "multi\nline"]
    assert log.skipped == {"rows with an unreadable time": 1, "rows without message text": 1,
                           "malformed CSV rows": 1}
    assert log.skipped_summary() == ("1 rows with an unreadable time (line 3), 1 rows without message text "
                                     "(line 4), 1 malformed CSV rows (line 7)")


def test_skipped_entries_are_named_by_the_line_an_editor_shows(tmp_path):
    path = tmp_path / "chat.jsonl"  # a blank line, a raw U+2028 inside a message, a cut line
    items = [{"message": "one", "time_in_seconds": 1}, {"message": "a\u2028b", "time_in_seconds": 2},
             {"message": "three", "time_in_seconds": 3, "message_type": "ban_user"}]
    lines = [json.dumps(item, ensure_ascii=False) for item in items]
    path.write_text("\n".join([lines[0], "", lines[1], lines[2], '{"message": "cut']) + "\n", encoding="utf-8")
    log = read_chat_log(path)
    assert [m.text for m in log.messages] == ["one", "a\u2028b"]
    assert log.skipped_summary() == "1 events that are not chat messages (line 4), 1 malformed JSON lines (line 5)"
    many = tmp_path / "chat.csv"  # blank lines before the header count; the first three places are named
    many.write_text("\n\ntime,message\n" + "".join(f"x{i},hi\n" for i in range(5)) + "9,ok\n", encoding="utf-8")
    assert read_chat_log(many).skipped_summary() == "5 rows with an unreadable time (line 4, line 5, line 6, ...)"
    first = tmp_path / "first.jsonl"  # a raw U+2028 in the first message: still JSON lines
    first.write_text("\n".join(lines[1:2] * 2) + "\n", encoding="utf-8")
    assert [m.text for m in read_chat_log(first).messages] == ["a\u2028b", "a\u2028b"]


def test_a_quote_left_open_costs_one_row_read_on_its_own_not_the_rest_of_the_log(tmp_path):
    rows = ["user,message", *(f"u{i},msg {i}" for i in range(1, 300))]
    rows[52] = 'bob,"he said hi, then left'
    rows[120] = 'amy,"two\nlines, with a comma"'  # a quoted cell with a line break is still one message
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    log = read_chat_log(path)
    texts = [m.text for m in log.messages]
    assert len(texts) == 299 and texts[50:53] == ["msg 51", "he said hi, then left", "msg 53"]
    assert texts[119] == "two\nlines, with a comma" and texts[-1] == "msg 299"
    assert log.open_quotes == [53] and not log.skipped
    blank_first = tmp_path / "blank_first.csv"  # blank lines before the header count, as in an editor
    blank_first.write_text("\n\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert read_chat_log(blank_first).open_quotes == [55]


def test_a_quote_left_open_past_the_csv_field_limit_loses_only_its_row(tmp_path):
    rows = ["user,message", 'bob,"he said hi', *(f"u{i},{'long message ' * 10}{i}" for i in range(2, 2000))]
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")  # about 280 kB after the open quote
    log = read_chat_log(path)
    assert len(log.messages) == 1999 and log.messages[0].text == "he said hi"
    assert log.messages[-1].text.endswith("1999") and log.open_quotes == [2] and not log.skipped


def test_odd_bytes_in_a_text_log_are_kept_not_fatal(tmp_path):
    path = tmp_path / "chat.csv"
    path.write_bytes("user,message\na,caf\xe9 PogChamp\nb,\u200b\nc,".encode("latin-1", errors="replace")
                     + "😂😂😂\n".encode())
    texts = [m.text for m in read_chat_log(path).messages]
    assert texts[0] == "caf\ufffd PogChamp" and texts[2] == "😂😂😂"


def test_a_log_saved_as_windows_unicode_or_latin_1_is_read_as_saved(tmp_path, caplog):
    rows = "user,message\n" + "".join(f"u{i},café olé señor {i} PogChamp\n" for i in range(40))
    utf16 = tmp_path / "unicode.csv"
    utf16.write_bytes(rows.encode("utf-16"))  # with its byte-order mark, as Notepad saves it
    assert read_chat_log(utf16).messages[0].text == "café olé señor 0 PogChamp"
    latin = tmp_path / "latin.csv"
    latin.write_bytes(rows.encode("cp1252"))  # every line has bytes that are not UTF-8
    with caplog.at_level("WARNING", logger="analysis.chatlog"):
        log = read_chat_log(latin)
    assert [m.text for m in log.messages][-1] == "café olé señor 39 PogChamp" and len(log.messages) == 40
    assert "latin.csv is not UTF-8 text: read as Windows-1252 (Latin-1)" in caplog.text
    sparse = tmp_path / "sparse.csv"  # plain English, one accent in the whole log
    sparse.write_bytes(("user,message\n" + "".join(f"u{i},gg {i}\n" for i in range(40)) + "v,café\n")
                       .encode("cp1252"))
    assert read_chat_log(sparse).messages[-1].text == "café"


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("empty.json", b"", "is empty; accepted: TwitchDownloader"),
    ("blank.csv", "  \n\n", "is empty"),
    ("truncated.json", (CHAT_LOGS / "twitchdownloader.json").read_bytes()[:5000], "JSON is cut off or broken at line 1"),
    ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "is binary data, not a chat log"),
    ("cut.json.gz", gzip.compress(b'{"comments": []}')[:12], "gzip-compressed but cut off or corrupt"),
    ("columns.csv", "user,time\na,1\n", "no message column found (a CSV header ['user', 'time'])"),
    ("notes.txt", "just some notes about the stream\n", "first line 'just some notes about the stream'"),
    ("other.json", '{"title": "vod", "views": 3}', "JSON with top-level keys [title, views] matches no chat format"),
    ("numbers.json", "[1, 2, 3]", "a JSON list whose first item has keys []"),
    ("nochat.json", '{"comments": [{"content_offset_seconds": 1}]}',
     "TwitchDownloader chat JSON file with no chat messages in it (skipped: 1 entries without message text "
     "(entry 1))"),
])
def test_files_that_are_not_chat_logs_get_a_one_line_error(tmp_path, name, data, expected):
    path = _write(tmp_path, name, data)
    with pytest.raises(ChatLogError) as error:
        read_chat_log(path)
    message = str(error.value)
    assert expected in message
    assert str(path) in message and "\n" not in message


def test_a_missing_file_or_a_directory_is_named(tmp_path):
    with pytest.raises(ChatLogError, match=r"chat log .*nope\.json not found"):
        read_chat_log(tmp_path / "nope.json")
    with pytest.raises(ChatLogError, match="is a directory"):
        read_chat_log(tmp_path)
