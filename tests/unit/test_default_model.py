"""The shipped checkpoint in model/default: small, complete, and right about Twitch slang and emotes."""

from __future__ import annotations

import csv
import json

import pytest

from model.lexicon import LexiconError, channel_emote_part, read_lexicon
from model.paths import DEFAULT_MODEL_DIR, shared_data_dir
from model.scorer import Scorer
from tests.helpers import ODD_TEXTS, SLANG_PROBE
from training.data import read_labeled

MAX_BYTES = 50 * 1024 * 1024


@pytest.fixture(scope="module")
def default_scorer() -> Scorer:
    return Scorer.load("default")  # torch, precision auto (bf16 where it pays, else fp32)


def test_default_checkpoint_is_small_safetensors_with_tokenizer_and_report():
    files = {p.name: p.stat().st_size for p in DEFAULT_MODEL_DIR.iterdir() if p.is_file()}
    assert "model.safetensors" in files and "tokenizer.json" in files and "config.json" in files
    assert sum(files.values()) < MAX_BYTES
    report = json.loads((DEFAULT_MODEL_DIR / "training_report.json").read_text())
    assert report["metrics"]["test"]["macro_f1"] >= 0.70


def probe_rows() -> list[dict[str, str]]:
    with open(SLANG_PROBE, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# The whole probe must stay at 85% (issue #10). The 20 emotes no labeled message shows: the model
# before lexicon features got 10 of 20, the plain recipe of training/README.md 9-12.
@pytest.mark.parametrize(("group", "least"), [("all", 0.85), ("unseen_emotes", 0.75)])
def test_default_model_reads_slang_and_emotes_from_every_era(default_scorer, group, least):
    rows = [r for r in probe_rows() if group in ("all", r["group"])]
    predicted = [s.label for s in default_scorer.predict([r["text"] for r in rows])]
    wrong = [(r["text"], r["label"], p) for r, p in zip(rows, predicted, strict=True) if r["label"] != p]
    accuracy = 1 - len(wrong) / len(rows)
    assert accuracy >= least, f"probe accuracy {accuracy:.2f} on {group}; wrong: {wrong}"


def test_the_unseen_emote_probes_use_emotes_no_labeled_message_shows():
    labeled = read_labeled(shared_data_dir() / "labeled_2025.csv")
    seen = {token for split in labeled.texts.values() for text in split for token in text.split()}
    seen_parts = {channel_emote_part(token) for token in seen} - {None}
    lexicon = read_lexicon(shared_data_dir() / "emote_lexicon.csv")
    rows = [r for r in probe_rows() if r["group"] == "unseen_emotes"]
    assert len(rows) == 20
    for row in rows:
        emotes = [t for t in row["text"].split() if lexicon.sentiment(t) is not None]
        # a lexicon emote never typed in the labeled set, or a channel emote whose word part never was
        assert emotes and all(t not in seen if t in lexicon.entries else channel_emote_part(t) not in seen_parts
                              for t in emotes), row


def test_a_streamers_emote_csv_changes_the_reading_without_retraining(default_scorer, tmp_path):
    """An invented emote is neutral; one CSV line makes it polar, either way, for the same weights."""
    texts = ["wub7FLIB wub7FLIB", "wub7FLIB"]
    assert {s.label for s in default_scorer.predict(texts)} == {"neutral"}
    for sentiment, label in (("0.9", "positive"), ("-0.9", "negative")):
        emotes = tmp_path / f"emotes{sentiment}.csv"
        emotes.write_text(f"token,sentiment\nwub7FLIB,{sentiment}\n", encoding="utf-8")
        scorer = Scorer.load("default")
        scorer.use_emotes(emotes)
        assert {s.label for s in scorer.predict(texts)} == {label}, sentiment
    # per channel: only that channel's messages read the entry
    emotes = tmp_path / "emotes0.9.csv"
    scorer = Scorer.load("default")
    scorer.use_emotes(channels={"one": emotes})
    labels = [s.label for s in scorer.predict(["wub7FLIB wub7FLIB"] * 3, ["one", "two", None])]
    assert labels == ["positive", "neutral", "neutral"]


def test_reading_the_emote_csv_again_replaces_the_last_read_and_a_bad_file_changes_nothing(tmp_path):
    """What the running bot does when a streamer edits the file (bot/emotes.py): each read starts
    from the checkpoint's own lexicon, and a file with a bad line leaves the emotes in force.
    `zorpBLEP` also spells the known word part `Blep` (0.3): the streamer's own row for it wins."""
    scorer = Scorer.load("default")
    emotes, own = tmp_path / "emotes.csv", tmp_path / "own.csv"
    texts, channels = ["wub7FLIB wub7FLIB", "wub7FLIB wub7FLIB", "zorpBLEP"], [None, "one", "one"]
    emotes.write_text("token,sentiment\nwub7FLIB,0.9\n", encoding="utf-8")
    own.write_text("token,sentiment\nzorpBLEP,-0.9\n", encoding="utf-8")
    scorer.use_emotes(emotes, channels={"one": own})
    assert [s.label for s in scorer.predict(texts, channels)] == ["positive", "positive", "negative"]
    emotes.write_text("token,sentiment\nwub7FLIB,-0.9\n", encoding="utf-8")
    scorer.use_emotes(emotes, channels={"one": own})
    assert [s.label for s in scorer.predict(texts, channels)] == ["negative", "negative", "negative"]
    own.write_text("token,sentiment\nzorpBLEP,lots\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"own\.csv:2: sentiment 'lots' is not a number"):
        scorer.use_emotes(emotes, channels={"one": own})
    assert [s.label for s in scorer.predict(texts, channels)] == ["negative", "negative", "negative"]
    scorer.use_emotes(None)  # the rows are gone, not kept from the reads before
    assert {s.label for s in scorer.predict(texts, channels)} == {"neutral"}


def test_the_shipped_model_reads_streamer_emotes_it_never_saw_both_ways():
    """The counted rule (training/compare.py): 20 invented channel emotes, alone and doubled,
    neutral without an entry and polar either way with one. A model the CSV cannot move gets 40."""
    from training.compare import streamer_emotes

    counted = streamer_emotes(DEFAULT_MODEL_DIR)
    assert counted["streamer_emotes/n"] == 120
    assert counted["streamer_emotes"] >= 110


def test_default_model_scores_odd_chat_without_crashing(default_scorer):
    scores = default_scorer.predict(ODD_TEXTS)
    assert len(scores) == len(ODD_TEXTS)
    assert all(-1.0 <= s.value <= 1.0 for s in scores)


def test_the_int8_copy_onnx_runtime_runs_keeps_the_fp32_labels_and_the_probe():
    """Where fp32 would run on CPU the bot runs ONNX Runtime's 8-bit-weight copy (backend auto):
    it must give the fp32 label to at least 99% of the messages (issue #14's rule, on dev then;
    on test now, which the shipped model did not learn from: 99.7% measured) and still pass the
    probe."""
    fp32 = Scorer.load("default", precision="fp32", backend="torch", workers=1)
    int8 = Scorer.load("default", precision="fp32", backend="auto")
    assert (int8.backend, int8.precision) == ("onnx", "int8")
    texts, _ = read_labeled(shared_data_dir() / "labeled_2025.csv").split("test")
    same = sum(a.label == b.label for a, b in zip(int8.predict(texts), fp32.predict(texts), strict=True))
    assert same / len(texts) >= 0.99, f"{same} of {len(texts)} test labels equal to fp32"
    rows = probe_rows()
    right = sum(s.label == r["label"] for s, r in zip(int8.predict([r["text"] for r in rows]), rows, strict=True))
    assert right / len(rows) >= 0.85

