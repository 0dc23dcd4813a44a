"""Offline analysis: scoring in big batches, the replayed mood logic, the three outputs, the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
import struct
from pathlib import Path

import pytest

from analysis.analyze import analyze, score_texts, write_moments, write_report
from analysis.chatlog import ChatLog, ChatLogError, LogMessage, read_chat_log
from analysis.moments import Moment, hms, hype_peaks, replay, representative, sharpest_swings, timeline
from analysis.plot import coarsen, plot_mood
from bot.cli import main
from bot.config import ChatConfig, parse_config
from mood.labels import Score
from tests.helpers import CHAT_LOGS, SWING_LOG, KeywordPredictor

MOOD = parse_config({"mood": {"short_window_s": 5, "report_window_s": 60, "baseline_window_s": 60,
                              "min_messages": 20, "rearm_band": 0.25, "alert_cooldown_s": 30}}).mood


class BatchRecorder(KeywordPredictor):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def predict(self, texts):
        self.batches.append(len(texts))
        return super().predict(texts)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


async def test_each_distinct_text_is_scored_once_in_big_batches_and_results_keep_input_order():
    texts = [f"good {i % 2000}" if i % 3 else f"bad {i % 3000}" for i in range(6000)]
    predictor, steps = BatchRecorder(), []
    scores = await score_texts(predictor, texts, batch=1024, progress=steps.append)
    assert sorted(predictor.texts) == sorted(set(texts))  # no text scored twice
    assert sum(steps) == len(texts) and all(step > 0 for step in steps)
    assert max(predictor.batches) == 1024 and sum(predictor.batches) == len(set(texts))
    assert [s.label for s in scores] == ["positive" if t.startswith("good") else "negative" for t in texts]


async def test_progress_bar_shows_done_total_rate_and_eta_on_a_terminal_only():
    log = read_chat_log(SWING_LOG)
    terminal, pipe = Terminal(), io.StringIO()
    await analyze(log, KeywordPredictor(), mood=MOOD, chat=ChatConfig(), stream=terminal)
    await analyze(log, KeywordPredictor(), mood=MOOD, chat=ChatConfig(), stream=pipe)
    shown = terminal.getvalue()
    assert f"{len(log.messages)}/{len(log.messages)}" in shown and "msg/s" in shown and "<" in shown  # ETA
    assert pipe.getvalue() == ""


def scored(texts_at: list[tuple[float, str]]) -> tuple[list[LogMessage], list[Score]]:
    messages = [LogMessage(t, "viewer", text) for t, text in texts_at]
    return messages, KeywordPredictor().predict([m.text for m in messages])


def test_replay_finds_the_swing_and_reports_the_one_in_cooldown_as_not_sent():
    messages, scores = scored([(i / 8, "chatting") for i in range(8 * 20)]
                              + [(20 + i / 8, "bad") for i in range(8 * 6)]
                              + [(26 + i / 8, "chatting") for i in range(8 * 8)]
                              + [(34 + i / 8, "good") for i in range(8 * 6)])
    swings = replay(messages, scores, MOOD).swings
    assert [(s.sent, s.reason, s.after < s.before) for s in swings] == [(True, "", True), (False, "cooldown", False)]
    assert 21 <= swings[0].at <= 23 and 35 <= swings[1].at <= 37


def test_timeline_buckets_hold_every_message_with_rate_shares_and_hype():
    messages, scores = scored([(0.5, "good"), (3, "bad"), (9.9, "chatting"), (25, "good")])
    replayed = replay(messages, scores, MOOD)
    rows = timeline(messages, scores, replayed.ticks, bucket_s=10)
    assert [r.bucket.start for r in rows] == [0, 10, 20]
    assert [r.bucket.count for r in rows] == [3, 0, 1]  # the quiet bucket is kept, empty
    assert rows[0].rate == pytest.approx(0.3) and rows[1].mean is None
    assert rows[0].share("positive") == pytest.approx(1 / 3) and rows[0].hype is not None
    assert rows[1].hype is None


def test_hype_peaks_are_a_short_window_apart_and_quote_what_chat_said():
    calm = [(i / 2, "chatting") for i in range(120)]
    burst = [(70 + i / 20, "good play" if i % 3 else "good stream") for i in range(100)]
    late = [(80 + i / 2, "chatting") for i in range(60)]
    messages, scores = scored(sorted(calm + burst + late))
    replayed = replay(messages, scores, MOOD)
    peaks = hype_peaks(replayed, messages, scores, MOOD, top=3)
    assert 70 < peaks[0].at <= 76 and peaks[0].hype >= 90
    assert all(abs(a.at - b.at) >= MOOD.short_window_s for a in peaks for b in peaks if a is not b)
    assert peaks[0].messages == ("good play", "good stream")
    times = [t.at for t in replayed.ticks]
    for peak in peaks:  # each is the highest reading within one short window either side
        near = [t.hype for t in replayed.ticks if abs(t.at - peak.at) <= MOOD.short_window_s]
        assert peak.hype == max(near) and times.count(peak.at) == 1


def test_representative_messages_prefer_the_moments_direction_then_repetition():
    messages, scores = scored([(1, "bad"), (1.1, "BAD"), (1.2, "so bad"), (1.3, "chatting"), (1.4, "chatting"),
                               (1.5, "chatting"), (1.6, "good"), (9, "bad later")])
    offsets = [m.offset for m in messages]
    assert representative(messages, scores, offsets, 0, 5, -1) == ("bad", "so bad", "chatting")
    assert representative(messages, scores, offsets, 0, 5, +1)[0] == "good"


def test_what_a_viewer_typed_cannot_run_in_a_terminal_or_a_spreadsheet(tmp_path):
    typed = "\x1b]0;pwned\x07\x1b[31mRED pog"
    messages, scores = scored([(1, typed), (1.1, '=HYPERLINK("http://evil","click")'), (1.2, "@SUM(1+1)")])
    quotes = representative(messages, scores, [m.offset for m in messages], 0, 5, +1)
    assert "]0;pwned[31mRED pog" in quotes and not any(ch in "".join(quotes) for ch in "\x1b\x07")
    path = write_moments([Moment("hype peak", 1.0, 50, 3.0, 0.5, quotes)], tmp_path / "moments.csv")
    row = next(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    cells = [row["message_1"], row["message_2"], row["message_3"]]
    assert sorted(cells) == sorted(["]0;pwned[31mRED pog", "'=HYPERLINK(\"http://evil\",\"click\")", "'@SUM(1+1)"])


def test_swings_are_measured_where_they_went_furthest():
    log = read_chat_log(SWING_LOG)
    scores = KeywordPredictor().predict([m.text for m in log.messages])
    replayed = replay(log.messages, scores, MOOD)
    swings = sharpest_swings(replayed, log.messages, scores, MOOD, top=5)
    assert {m.alert for m in swings} == {"sent", "not sent (cooldown)"}
    down = next(m for m in swings if m.alert == "sent")
    assert down.change is not None and down.change < -0.9  # detected at about -0.4, went on to about -1.2 (a 5 s window of "bad")
    assert all(q.lower().find("bad") >= 0 for q in down.messages)


def test_hms_formats_offsets():
    assert [hms(s) for s in (0, 59.9, 61, 3723, -5)] == ["0:00:00", "0:00:59", "0:01:01", "1:02:03", "-0:00:05"]


def test_plot_is_1600_by_900_with_labelled_axes_and_marked_moments(tmp_path):
    log = read_chat_log(SWING_LOG)
    scores = KeywordPredictor().predict([m.text for m in log.messages])
    replayed = replay(log.messages, scores, MOOD)
    moments = (hype_peaks(replayed, log.messages, scores, MOOD, 2)
               + sharpest_swings(replayed, log.messages, scores, MOOD, 2))
    rows = timeline(log.messages, scores, replayed.ticks, 2)
    figure = plot_mood(rows, moments, tmp_path / "mood.png", title="test")
    assert png_size(tmp_path / "mood.png") == (1600, 900)
    mood_ax, rate_ax, hype_ax = figure.axes
    assert "mood" in mood_ax.get_ylabel() and "messages / s" in rate_ax.get_ylabel()
    assert "h:mm:ss" in rate_ax.get_xlabel() and "hype" in hype_ax.get_ylabel()
    labels = [t.get_text() for ax in figure.axes for t in ax.texts]
    for moment in moments:
        assert any(hms(moment.at) in label for label in labels), moment


async def test_report_files_have_the_promised_columns(tmp_path):
    log = read_chat_log(CHAT_LOGS / "chat_downloader.json")
    sparse = parse_config({"mood": {"min_messages": 3}}).mood  # 30 messages in 40 s
    analysis = await analyze(log, KeywordPredictor(), mood=sparse, chat=ChatConfig(), bucket_s=10, top=3)
    assert analysis.ignored == 2  # Nightbot and a !mood command, as the live bot skips them
    paths = write_report(analysis, tmp_path / "out")
    assert [p.name for p in paths] == ["timeline.csv", "moments.csv", "mood.png"]
    with open(paths[0], encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["start", "start_s", "messages", "msg_per_s", "mean", "positive", "neutral",
                             "negative", "hype"]
    assert sum(int(r["messages"]) for r in rows) == len(analysis.messages) == 30
    assert rows[0]["start"] == "-0:00:10"  # the first bucket holds the chat from before the VOD's zero
    with open(paths[1], encoding="utf-8") as handle:
        assert next(csv.reader(handle))[-3:] == ["message_1", "message_2", "message_3"]
    # No chat in this log is positive to the keyword scorer: hype stays 0, so no peaks are made up.
    assert not [m for m in analysis.moments if m.kind == "hype peak"]

    swinging = await analyze(read_chat_log(SWING_LOG), KeywordPredictor(), mood=MOOD, chat=ChatConfig())
    with open(write_report(swinging, tmp_path / "swings")[1], encoding="utf-8") as handle:
        moments = list(csv.DictReader(handle))
    assert {m["kind"] for m in moments} == {"hype peak", "swing"}
    assert all(re.fullmatch(r"-?\d+:\d\d:\d\d", m["offset"]) and m["message_1"] for m in moments)


def test_cli_analyze_writes_the_report_and_summarises(tmp_path, tiny_model_dir, capsys):
    out = tmp_path / "report"
    code = main(["analyze", str(CHAT_LOGS / "twitchdownloader.json"), "--out", str(out), "--bucket", "10s",
                 "--model", str(tiny_model_dir)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert sorted(p.name for p in out.iterdir()) == ["moments.csv", "mood.png", "timeline.csv"]
    assert png_size(out / "mood.png") == (1600, 900)
    assert "TwitchDownloader chat JSON, 36 messages" in printed.out and "scored 36 messages" in printed.out
    assert printed.err == ""  # not a terminal: no progress bar


def test_cli_states_the_assumed_rate_for_logs_without_times(tmp_path, tiny_model_dir, capsys):
    code = main(["analyze", str(CHAT_LOGS / "stream.csv"), "--out", str(tmp_path), "--rate", "2",
                 "--model", str(tiny_model_dir)])
    assert code == 0
    assert "no time column: assumed 2 msg/s, evenly spaced" in capsys.readouterr().out


@pytest.mark.parametrize(("content", "expected"), [
    ("", "is empty"),
    ("user,when\nviewer,1\n", "no message column found"),
    ('{"comments": [{"content_offset_seconds": 1, "message": {"bo', "JSON is cut off"),
])
def test_cli_bad_log_is_one_line_error_and_nonzero_exit_before_loading_a_model(tmp_path, capsys, content, expected):
    path = tmp_path / "chat.json"
    path.write_text(content, encoding="utf-8")
    code = main(["analyze", str(path), "--out", str(tmp_path / "out"), "--model", str(tmp_path / "no-model")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("twitch-mood: error: ") and expected in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_a_model_that_cannot_load_leaves_no_empty_report_directory(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["analyze", str(CHAT_LOGS / "stream.csv"), "--out", str(out), "--model", str(tmp_path / "typo")])
    assert code == 2 and "does not exist" in capsys.readouterr().err
    assert not out.exists()
    out.mkdir()  # a directory that was there before stays
    assert main(["analyze", str(CHAT_LOGS / "stream.csv"), "--out", str(out), "--model", str(tmp_path / "typo")]) == 2
    assert out.is_dir()


def test_cli_checks_rate_and_output_before_loading_a_model(tmp_path, capsys):
    for rate in ("nan", "inf", "0"):
        with pytest.raises(SystemExit):
            main(["analyze", str(CHAT_LOGS / "stream.csv"), "--rate", rate])
        assert f"argument --rate: expected a positive number, got {rate!r}" in capsys.readouterr().err
    blocked = tmp_path / "file"
    blocked.write_text("a file where a folder should be", encoding="utf-8")
    code = main(["analyze", str(CHAT_LOGS / "stream.csv"), "--out", str(blocked / "report"), "--model",
                 str(tmp_path / "no-model")])
    assert code == 2 and "cannot write the report to" in capsys.readouterr().err  # not a model error


def test_cli_names_the_csv_rows_read_with_a_quote_left_open(tmp_path, tiny_model_dir, capsys):
    log = tmp_path / "chat.csv"
    log.write_text('user,message\na,hi\nb,"he said hi\nc,gg\nd,pog\n', encoding="utf-8")
    assert main(["analyze", str(log), "--out", str(tmp_path / "out"), "--model", str(tiny_model_dir)]) == 0
    printed = capsys.readouterr().out
    assert "4 messages" in printed and "1 CSV rows with a quote left open, each read on its own (line 3)" in printed


def test_cli_rejects_a_bad_bucket(capsys):
    with pytest.raises(SystemExit):
        main(["analyze", "chat.json", "--bucket", "0.5s"])
    assert "expected a duration of at least 1 s" in capsys.readouterr().err


async def test_a_log_of_only_commands_and_bots_says_so(tmp_path):
    log = ChatLog(tmp_path / "c.csv", "CSV", [LogMessage(0, "nightbot", "hi"), LogMessage(1, "a", "!hype")])
    with pytest.raises(ChatLogError, match="all 2 messages are commands or from ignored bots"):
        await analyze(log, KeywordPredictor(), mood=MOOD, chat=ChatConfig())


def test_long_timelines_are_merged_for_the_plot_without_losing_messages():
    messages, scores = scored([(t * 7.0, "good" if t % 2 else "bad") for t in range(5000)])
    rows = timeline(messages, scores, replay(messages, scores, MOOD).ticks, bucket_s=1)
    merged = coarsen(rows, 1500)
    assert len(rows) > 30_000 and len(merged) <= 1500
    assert sum(r.bucket.count for r in merged) == 5000
    assert max(r.hype or 0 for r in merged) == max(r.hype or 0 for r in rows)
    assert merged[1].bucket.start == merged[0].bucket.start + merged[0].bucket.length


def test_cli_refuses_an_output_path_that_is_a_file(tmp_path, capsys):
    taken = tmp_path / "report"
    taken.write_text("not a directory")
    assert main(["analyze", str(CHAT_LOGS / "stream.csv"), "--out", str(taken)]) == 2
    assert "is a file; give a directory" in capsys.readouterr().err


def test_cli_skips_the_bots_own_replies_commands_and_ignored_bots(tmp_path, tiny_model_dir, capsys):
    config = tmp_path / "config.yaml"
    config.write_text("twitch:\n  bot_login: MoodBot\n", encoding="utf-8")
    log = tmp_path / "chat.csv"
    log.write_text("time,user,message\n1,viewer,PogChamp\n2,moodbot,Chat mood: positive\n3,viewer,!hype\n"
                   "4,Nightbot,follow!\n5,viewer2,KEKW\n", encoding="utf-8")
    code = main(["analyze", str(log), "--out", str(tmp_path / "out"), "--config", str(config),
                 "--model", str(tiny_model_dir)])
    out = capsys.readouterr().out
    assert code == 0
    assert "not counted: 3 commands or messages from bots" in out and "scored 2 messages" in out


async def test_odd_chat_text_in_a_log_is_scored_not_fatal(tmp_path, tiny_scorer):
    from tests.helpers import ODD_TEXTS

    log = ChatLog(tmp_path / "odd.json", "test", [LogMessage(i * 0.5, f"v{i}", t) for i, t in enumerate(ODD_TEXTS)])
    analysis = await analyze(log, tiny_scorer, mood=MOOD, chat=ChatConfig(), bucket_s=1)
    assert len(analysis.scores) == len(ODD_TEXTS) and all(-1 <= s.value <= 1 for s in analysis.scores)
    paths = write_report(analysis, tmp_path / "out")
    assert all(p.stat().st_size > 0 for p in paths)


def test_a_wrong_time_on_one_entry_fails_before_scoring_and_names_it(tmp_path, capsys):
    comments = [{"content_offset_seconds": i, "commenter": {"display_name": "a"},
                 "message": {"body": "hello PogChamp"}} for i in range(5)]
    comments.append({"content_offset_seconds": 1e12, "commenter": {"display_name": "bob"},
                     "message": {"body": "LUL"}})
    path = tmp_path / "chat.json"
    path.write_text(json.dumps({"comments": comments}), encoding="utf-8")
    code = main(["analyze", str(path), "--out", str(tmp_path / "out"), "--model", str(tmp_path / "no-model")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1  # the model (a typo here) was never loaded
    assert "from 0 s (a: 'hello PogChamp') to 1,000,000,000,000 s (bob: 'LUL'); a wrong time on one" in err
    assert not (tmp_path / "out").exists()
