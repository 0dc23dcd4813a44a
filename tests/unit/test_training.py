"""The training pipeline's pieces, and the whole tokenizer -> MLM -> sentiment -> eval chain on a
tiny slice of the shared data (2-layer RoBERTa, a handful of steps)."""

from __future__ import annotations

import csv
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
import torch

from bot.cli import main
from model.paths import shared_data_dir
from mood.errors import UsageError
from mood.labels import LABELS
from training.augment import swapped_examples
from training.bases import SCRATCH_ROBERTA, ScratchShape
from training.data import DataError, parse_label, read_labeled, read_stream, unique_messages
from training.metrics import classification_report
from training.mlm import MlmArgs, emote_passes, group_texts, held_out_messages, train_mlm
from training.sentiment import SentimentArgs, class_weight_vector, train_sentiment
from training.subsets import read_lexicon_kinds
from training.weak import corpus_examples, label_of, weak_label

LEXICON = {"KEKW": 0.6, "BibleThump": -0.5, "Kappa": 0.2, "L": -0.7, "cracked": 0.7}
TINY = ScratchShape(vocab_size=400, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                    intermediate_size=64)


def test_labels_are_read_as_names_or_numbers():
    assert [parse_label(v) for v in ("negative", "Neutral", " POSITIVE ", "-1", "0", "1")] == [0, 1, 2, 0, 1, 2]
    with pytest.raises(DataError, match="'great'"):
        parse_label("great")


def test_labeled_csv_with_custom_columns_and_no_split(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("msg,score\nso good,1\nmeh,0\nawful,-1\n", encoding="utf-8")
    data = read_labeled(path, text_col="msg", label_col="score")
    assert data.split("test") == (["so good", "meh", "awful"], [2, 1, 0])


def test_a_split_column_named_must_exist_and_a_file_without_one_is_all_test(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("text,label\nso good,positive\nmeh,neutral\n", encoding="utf-8")
    assert read_labeled(plain).sizes() == {"test": 2}
    for named in ("split", "fold"):
        with pytest.raises(DataError, match=rf"no column '{named}' \(columns: text, label\); choose one with --split-col"):
            read_labeled(plain, split_col=named)
    with pytest.raises(DataError, match=r"plain\.csv: no rows in split 'dev' \(splits: test\); it has no column "
                                        r"'split', so every row is test \(name one with --split-col\)"):
        read_labeled(plain).require("dev")
    folds = tmp_path / "folds.csv"
    folds.write_text("text,label,fold\nso good,positive,train\nmeh,neutral,test\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"no rows in split 'dev' \(splits: train, test\) \(column 'fold'\)"):
        read_labeled(folds, split_col="fold").require("dev")


def test_odd_labeled_files_are_read_as_meant_or_refused_in_one_line(tmp_path):
    spreadsheet = tmp_path / "spreadsheet.csv"  # a BOM, a capitalised split column and values
    spreadsheet.write_bytes("\ufeffID,Text, Split ,label\r\nl1,gg,Train,positive\r\nl2,meh,TEST,neutral\r\n"
                            .encode("utf-8"))
    data = read_labeled(spreadsheet)
    assert data.sizes() == {"train": 1, "test": 1} and data.ids == {"train": ["l1"], "test": ["l2"]}
    bad = {
        "extra.csv": ("text,label,split\nhype, positive,neutral,test\n", r"extra\.csv:2: more cells than the header's 3"),
        "dup.csv": ("text,label,text\ngood,positive,bad\n", r"column 'text' appears more than once"),
        "unclosed.csv": ('text,label\n"oops, forgot to close,positive\n' + "x" * 140_000 + ",neutral\n",
                         r"unclosed\.csv:\d+: not a readable CSV row \(field larger than field limit"),
        "multiline.csv": ('text,label\n"two\nlines",positive\nok,happy\n', r"multiline\.csv:4: label 'happy'"),
    }
    for name, (content, error) in bad.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
        with pytest.raises(DataError, match=error):
            read_labeled(tmp_path / name)
    with pytest.raises(DataError, match=r"labeled data .* is not a file"):
        read_labeled(tmp_path)
    unicode_text = tmp_path / "unicode.csv"  # a spreadsheet's "Unicode text": UTF-16
    unicode_text.write_bytes("text,label\ngg,positive\n".encode("utf-16"))
    with pytest.raises(DataError, match=r"unicode\.csv is not UTF-8 text \(UTF-16, or binary\); save it as UTF-8"):
        read_labeled(unicode_text)


def test_rows_without_text_are_left_out_with_a_warning(tmp_path, caplog):
    path = tmp_path / "gaps.csv"
    path.write_text("text,label,split\ngg,positive,test\n,neutral,test\n   ,negative,train\nok,neutral,train\n,,\n",
                    encoding="utf-8")  # the last: a spreadsheet's blank row
    with caplog.at_level("WARNING", logger="training.data"):
        data = read_labeled(path)
    assert data.texts == {"test": ["gg"], "train": ["ok"]} and data.labels == {"test": [2], "train": [1]}
    assert "gaps.csv: 3 row(s) with an empty text left out (line 3, 4, 6)" in caplog.text
    only_gaps = tmp_path / "only_gaps.csv"
    only_gaps.write_text("text,label\n,neutral\n", encoding="utf-8")
    with pytest.raises(DataError, match="has no labeled rows"):
        read_labeled(only_gaps)


def test_missing_column_error_names_the_column_and_the_option(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("message,label\nhi,neutral\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"no column 'text'.*--text-col"):
        read_labeled(path)


def test_bad_label_error_names_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nhi,neutral\nyo,happy\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.csv:3: label 'happy'"):
        read_labeled(path)


def test_classification_report_matches_hand_computation():
    report = classification_report([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0])
    assert report["n"] == 6
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["per_class"]["neutral"]["precision"] == pytest.approx(2 / 3)
    assert report["per_class"]["neutral"]["recall"] == 1.0
    assert report["per_class"]["negative"]["f1"] == pytest.approx(0.5)
    assert report["macro_f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert report["confusion"]["matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]


def test_group_texts_packs_messages_into_full_blocks():
    assert group_texts([[0, 5, 2], [0, 6, 7, 2], [0, 8, 2]], 4) == [[0, 5, 2, 0], [6, 7, 2, 0]]


def test_unique_messages_are_normalised_and_deduplicated():
    assert unique_messages(["KEKW KEKW KEKW KEKW KEKW", "KEKW KEKW KEKW", "", "\u200b", "hi"]) == [
        "KEKW KEKW KEKW", "hi"]


def test_weak_label_needs_agreeing_clear_lexicon_hits():
    assert weak_label("he is cracked KEKW", LEXICON) == 2
    assert weak_label("L streamer", LEXICON) == 0
    assert weak_label("KEKW L", LEXICON) is None  # disagreeing hits
    assert weak_label("Kappa", LEXICON) is None  # too mild
    assert weak_label("what game is this", LEXICON) is None
    assert [label_of(v) for v in (-0.6, 0.2, 0.7)] == [0, 1, 2]


def test_weak_examples_exclude_labeled_messages_and_balance_polarity():
    lines = ["KEKW", "so funny KEKW", "lol KEKW", "L", "L bozo", "hello"]
    texts, labels = corpus_examples(lines, LEXICON, exclude=["L"], limit=4)
    assert "L" not in texts and "hello" not in texts
    assert labels.count(0) == 1 and labels.count(2) == 3


def test_teacher_labels_keep_evaluation_messages_out_and_only_confident_ones(tiny_model_dir):
    from model.scorer import Scorer
    from training.pseudo import pseudo_examples

    lines = ["so funny KEKW", "hello chat", "L bozo", "what game is this", "so funny KEKW", "GG", "OK"]
    texts, labels = pseudo_examples(tiny_model_dir, lines, exclude=["hello  chat", "ok"], limit=10,
                                    min_confidence=0.0)  # the tokenizer reads OK as ok
    assert sorted(texts) == sorted({"so funny KEKW", "L bozo", "what game is this", "GG"})
    scorer = Scorer.load(str(tiny_model_dir), quantize="off", precision="fp32")
    assert labels == [LABELS.index(s.label) for s in scorer.predict(texts)]
    assert len(pseudo_examples(tiny_model_dir, lines, [], limit=2, min_confidence=0.0)[0]) == 2
    top = max(max(s.negative, s.neutral, s.positive) for s in scorer.predict(texts))
    kept, _ = pseudo_examples(tiny_model_dir, lines, [], limit=10, min_confidence=top)
    assert 1 <= len(kept) < 5
    assert pseudo_examples(tiny_model_dir, lines, [], limit=10, min_confidence=1.01) == ([], [])


def test_weak_examples_exclude_labeled_messages_in_any_letter_case():
    # The tokenizer reads lower case, so `W LEAK` is the labeled `w leak` to the model.
    lines = ["W LEAK", "w leak", "KEKW so good", "Noooooo L"]
    texts, _ = corpus_examples(lines, {**LEXICON, "W": 0.8, "w": 0.8}, exclude=["w leak", "NOOOOOO L"],
                               limit=10)
    assert texts == ["KEKW so good"]


def test_the_more_labeled_chat_shipped_is_corpus_messages_the_labeled_set_does_not_hold():
    from model.text import match_key
    from training.args import LABELS_DIR, SEVEN_LABEL_FILES
    from training.data import new_rows, read_corpus, read_more_labeled

    corpus = set(read_corpus(shared_data_dir() / "chat_corpus_2025.txt"))
    labeled = read_labeled(shared_data_dir() / "labeled_2025.csv")
    earlier: set[str] = set()
    every_file = SEVEN_LABEL_FILES  # in the order they were drawn
    assert {path.name for path in every_file} == {path.name for path in LABELS_DIR.glob("*.csv")}
    for path in every_file:
        texts, labels = read_more_labeled(path).split("train")
        keys = {match_key(t) for t in texts}
        assert set(labels) == {0, 1, 2} and len(keys) == len(texts), path.name  # each once
        assert set(texts) <= corpus, path.name
        assert new_rows(labeled, path)[1] == 0, path.name  # none is a labeled message as the model reads it
        assert not keys & earlier, path.name  # nor one of an earlier file
        earlier |= keys


def test_the_subsets_count_the_more_labeled_chat_a_model_learned_as_seen(tiny_model_dir, tmp_path, caplog,
                                                                         monkeypatch):
    import shutil

    import training.evaluate
    from model.paths import file_sha256
    from training.evaluate import learned_more

    labels = tmp_path / "labels"  # training/labels/, with two files
    labels.mkdir()
    (labels / "first.csv").write_text("text,label\nzq first draw,positive\nzq in test,neutral\n", encoding="utf-8")
    (labels / "second.csv").write_text("text,label\nzq second draw,negative\n", encoding="utf-8")
    monkeypatch.setattr(training.evaluate, "LABELS_DIR", labels)
    labeled = tmp_path / "labeled.csv"  # its test split holds one of those messages
    with open(labeled, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([("text", "label", "split"), ("zq unique training row", "positive", "train"),
                                      ("ZQ in test", "neutral", "test")])
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    entries = [{"path": name, "sha256": file_sha256(labels / name)} for name in ("first.csv", "second.csv")]
    report = {"hyperparameters": {}, "data": {"path": "labeled.csv", "sha256": file_sha256(labeled)},
              "more_labeled": entries}
    (model / "training_report.json").write_text(json.dumps(report), encoding="utf-8")
    # the one it left out, as the labeled file holds it, is unseen
    assert learned_more(model, labeled, read_labeled(labeled)) == ["zq first draw", "zq second draw"]
    other = tmp_path / "other.csv"  # another file: every row may have been learned
    other.write_bytes(labeled.read_bytes() + b"hello,neutral,dev\n")
    assert learned_more(model, other, read_labeled(other)) == ["zq first draw", "zq in test", "zq second draw"]
    report["more_labeled"] = {**entries[1], "sha256": "0" * 64}  # one file, as reports named it before, changed
    (model / "training_report.json").write_text(json.dumps(report), encoding="utf-8")
    with caplog.at_level("WARNING", logger="training.evaluate"):
        assert learned_more(model, labeled, read_labeled(labeled)) == []
    assert "also learned from second.csv, which labels/ does not hold as it was" in caplog.text


def test_a_later_more_labeled_file_leaves_out_what_an_earlier_one_holds(tmp_path, caplog):
    from training.data import join_more_labeled

    labeled = tmp_path / "labeled.csv"
    labeled.write_text("text,label,split\nzq train row,neutral,train\nzq dev row,neutral,dev\n", encoding="utf-8")
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("text,label\nzq first row,positive\nZQ DEV ROW,positive\n", encoding="utf-8")
    second.write_text("text,label\nzq first row,negative\nzq second row,negative\n", encoding="utf-8")
    data = read_labeled(labeled)
    with caplog.at_level("WARNING", logger="training.data"):
        entries = [join_more_labeled(data, first), join_more_labeled(data, second, ["first.csv"])]
    assert [(e["rows"], e["left_out"]) for e in entries] == [(1, 1), (1, 1)]
    assert data.split("train") == (["zq train row", "zq first row", "zq second row"], [1, 2, 0])
    assert "second.csv: 1 row(s) left out, as labeled.csv or first.csv holds the same message" in caplog.text


def test_more_labeled_chat_with_a_split_column_is_refused(tmp_path):
    from training.data import read_more_labeled

    more = tmp_path / "more.csv"
    more.write_text("text,label,split\nnice,positive,test\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"more\.csv: more labeled chat joins the train split.*'split'"):
        read_more_labeled(more)


def test_epochs_must_be_one_or_more():
    with pytest.raises(UsageError, match="--epochs must be 1 or more, not 0"):
        SentimentArgs(out=Path("x"), epochs=0)


def test_patience_without_a_dev_split_to_stop_on_is_refused():
    with pytest.raises(UsageError, match=r"--patience 3 stops on dev, and with --fit_dev .* add --no_fit_dev"):
        SentimentArgs(out=Path("x"), patience=3)
    assert SentimentArgs(out=Path("x"), patience=3, fit_dev=False).patience == 3


def test_class_weights_favour_rare_classes():
    weights = class_weight_vector([1] * 6 + [2] * 3 + [0], "balanced")
    assert weights is not None and weights[0] > weights[2] > weights[1]
    assert class_weight_vector([0, 1, 2], "none") is None


@pytest.fixture(scope="module")
def tiny_slice(tmp_path_factory) -> tuple[Path, Path]:
    """A few hundred corpus lines and a small labeled CSV, derived from the shared data."""
    data_dir = shared_data_dir()
    root = tmp_path_factory.mktemp("slice")
    corpus = root / "corpus.txt"
    with open(data_dir / "chat_corpus_2025.txt", encoding="utf-8") as handle:
        corpus.write_text("".join(next(handle) for _ in range(400)), encoding="utf-8")
    with open(data_dir / "labeled_2025.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    picked = [r for split in ("train", "dev", "test") for r in [x for x in rows if x["split"] == split][:40]]
    labeled = root / "labeled.csv"
    with open(labeled, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "label", "split"])
        writer.writeheader()
        writer.writerows(picked)
    return corpus, labeled


def test_pipeline_tokenizer_mlm_sentiment_eval_on_a_tiny_slice(tiny_slice, tiny_model_dir, tmp_path, capsys, caplog):
    corpus, labeled = tiny_slice
    mlm_dir = tmp_path / "mlm"
    stream = tmp_path / "stream.csv"
    stream.write_text("user,message\nviewer1,abcHype abcHype new sub\nviewer2,PogChamp what a play\n",
                      encoding="utf-8")
    mlm_args = MlmArgs(base=SCRATCH_ROBERTA, corpus=corpus, out=mlm_dir, steps=30, batch_size=8,
                       block_size=32, learning_rate=1e-3, emote_tokens=False, stream=stream, emote_weight=2)
    mlm_args.scratch = TINY
    mlm = train_mlm(mlm_args)
    assert (mlm_dir / "tokenizer.json").is_file() and (mlm_dir / "model.safetensors").is_file()
    assert mlm["held_out_loss"]["after"] < mlm["held_out_loss"]["before"]
    assert mlm["stream"]["messages"] == 2 and len(mlm["stream"]["sha256"]) == 64
    assert mlm["corpus"]["messages"] == 400 and 2 < mlm["text"]["unique_messages"] <= 402  # both, each once
    assert mlm["emote_messages_repeated"] >= 2  # at least the stream's two

    clf_dir = tmp_path / "clf"
    with caplog.at_level("WARNING", logger="training.sentiment"):
        report = train_sentiment(SentimentArgs(base=str(mlm_dir), data=labeled, out=clf_dir, epochs=2,
                                               batch_size=16, learning_rate=1e-3, lexicon=None, more_labeled=[],
                                               lexicon_features=False, emote_swaps=0, emote_tokens=False,
                                               corpus=corpus, teacher=tiny_model_dir, teacher_examples=30,
                                               teacher_confidence=0.0, fit_dev=False,
                                               bf16=False))  # fp32, as `eval` below: the two must agree
    assert "--invented_emotes needs --lexicon_features" in caplog.text  # the default 600 is not added silently
    saved = json.loads((clf_dir / "training_report.json").read_text())
    assert saved["data"]["splits"] == {"train": 40, "dev": 40, "test": 40}
    assert saved["data"]["training_examples"] == {"labeled": 40, "teacher_labeled": 30}
    assert saved["teacher"]["path"] == tiny_model_dir.name and len(saved["teacher"]["sha256"]) == 64
    assert set(saved["metrics"]) == {"dev", "test"}
    assert 0.0 <= report["metrics"]["test"]["macro_f1"] <= 1.0
    assert len(saved["data"]["sha256"]) == 64 and saved["duration_s"] > 0
    for report_file in (clf_dir / "training_report.json", mlm_dir / "mlm_report.json"):  # no machine paths
        text = report_file.read_text()
        assert str(tmp_path) not in text and '"/' not in text and '"~' not in text, report_file
    assert saved["base"] == "mlm" and saved["data"]["path"] == "labeled.csv"

    capsys.readouterr()  # Trainer's own progress lines
    assert main(["eval", "--data", str(labeled), "--model", str(clf_dir), "--split", "test", "--quantize", "off", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == 40
    assert result["accuracy"] == pytest.approx(report["metrics"]["test"]["accuracy"], abs=0.03)
    assert {"macro_f1", "per_class", "confusion"} <= set(result)


def test_fit_dev_trains_on_train_and_dev_for_every_epoch_and_reports_test_only(tiny_slice, tmp_path, capsys,
                                                                                caplog):
    corpus, labeled = tiny_slice
    clf_dir = tmp_path / "clf"
    lexicon = shared_data_dir() / "emote_lexicon.csv"
    a_test_message = read_labeled(labeled).split("test")[0][0]
    more = tmp_path / "more.csv"  # more labeled chat: a new message, and a test one in capitals
    with open(more, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([("text", "label"), ("what a clutch play", "positive"),
                                      (a_test_message.upper() + " \u034f", "neutral")])
    with caplog.at_level("WARNING", logger="training.data"):
        report = train_sentiment(SentimentArgs(
            base=SCRATCH_ROBERTA, data=labeled, out=clf_dir, epochs=2, patience=1, batch_size=16,
            learning_rate=1e-3, corpus=corpus, lexicon=lexicon, more_labeled=[more],
            lexicon_tokens=False, weak_limit=0, emote_tokens=False, emote_swaps=1, invented_emotes=4,
            fit_dev=True))
    assert "more.csv: 1 row(s) left out, as" in caplog.text
    caplog.clear()
    examples = report["data"]["training_examples"]
    assert examples["labeled"] == 81  # 40 train + 40 dev + the new row; the test message is left out
    assert report["data"]["splits"] == {"train": 40, "dev": 40, "test": 40}  # the labeled file's own
    assert [{k: v for k, v in entry.items() if k != "sha256"} for entry in report["more_labeled"]] == [
        {"path": "more.csv", "rows": 1, "left_out": 1}]
    data = read_labeled(labeled)
    swapped, _ = swapped_examples(*data.splits(("train", "dev")), read_lexicon_kinds(lexicon), 1, 0)
    assert examples["emote_swaps"] == len(swapped) > len(swapped_examples(
        *data.split("train"), read_lexicon_kinds(lexicon), 1, 0)[0])  # dev's emotes are swapped too
    # no dev to choose an epoch or stop early on
    assert report["dev_log"] == [] and report["best_epoch_dev_macro_f1"] is None
    assert set(report["metrics"]) == {"test"}
    assert json.loads((clf_dir / "training_report.json").read_text())["hyperparameters"]["fit_dev"] is True

    from training.evaluate import evaluate, evaluate_subsets, fitted_splits

    assert fitted_splits(clf_dir, labeled) == ("train", "dev")
    capsys.readouterr()
    assert main(["eval", "--data", str(labeled), "--model", str(clf_dir), "--split", "dev",
                 "--quantize", "off"]) == 2
    assert "was trained on the dev split (--fit_dev), so its figures there say nothing" in capsys.readouterr().err
    with pytest.raises(DataError, match="trained on the dev split"):
        evaluate_subsets(clf_dir, labeled, lexicon, split="dev")
    with caplog.at_level("WARNING", logger="training.evaluate"):
        test = evaluate_subsets(clf_dir, labeled, lexicon, split="test", quantize="off", precision="fp32")
    assert test["subsets"]["all"]["n"] == 40
    assert "also learned from more.csv, which labels/ does not hold as it was: its messages count as " \
        "unseen" in caplog.text
    caplog.clear()
    assert evaluate(clf_dir, labeled, split="train", quantize="off")["n"] == 40  # train stays readable
    with caplog.at_level("WARNING", logger="training.evaluate"):  # every row: some of them learned
        assert evaluate(clf_dir, labeled, quantize="off")["n"] == 120
    assert "was trained on the train and dev rows of" in caplog.text and "not held out" in caplog.text
    caplog.clear()
    other = tmp_path / "other.csv"  # the dev split of another labeled file is unseen to it
    other.write_text(labeled.read_text(encoding="utf-8") + "l99999,new message,neutral,dev\n", encoding="utf-8")
    assert fitted_splits(clf_dir, other) == ("train",)
    with caplog.at_level("WARNING", logger="training.evaluate"):
        assert evaluate(clf_dir, other, split="dev", quantize="off")["n"] == 41
    assert "learned the dev split of labeled.csv (--fit_dev): where these dev rows come from it" in caplog.text

    # what would read dev as unseen refuses a model that learned it
    from training.args import DistillArgs
    from training.distill import distill
    from training.seeds import side_by_side

    with pytest.raises(DataError, match="its labels would carry dev into a run that chooses on dev"):
        train_sentiment(SentimentArgs(base=SCRATCH_ROBERTA, data=labeled, out=tmp_path / "student",
                                      corpus=corpus, lexicon=None, more_labeled=[], lexicon_features=False, emote_tokens=False,
                                      emote_swaps=0, teacher=clf_dir, fit_dev=False))
    with pytest.raises(DataError, match="distillation compares the student with it on dev"):
        distill(DistillArgs(out=tmp_path / "distilled", teacher=clf_dir, layers=[0], corpus=corpus, data=labeled))
    with pytest.raises(DataError, match="the offsets are chosen on dev"):
        side_by_side([clf_dir], labeled, None)
    from training.seeds import main as seeds_main

    capsys.readouterr()
    assert seeds_main([str(clf_dir), "--data", str(labeled), "--lexicon", ""]) == 2  # one line, no traceback
    assert capsys.readouterr().err.startswith("python -m training.seeds: error: ")

    # a training report that cannot be read is one line naming it
    (clf_dir / "training_report.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match=r"training_report\.json: not a readable training report"):
        evaluate_subsets(clf_dir, labeled, lexicon, split="test")
    (clf_dir / "training_report.json").write_text('{"hyperparameters": null}', encoding="utf-8")
    assert main(["eval", "--data", str(labeled), "--model", str(clf_dir), "--split", "dev"]) == 2
    assert "not a training report" in capsys.readouterr().err


def test_length_grouped_bf16_batches_report_the_dev_figures_of_the_messages_they_read(tiny_slice, tmp_path,
                                                                                      monkeypatch):
    from safetensors.torch import load_file

    import training.sentiment as sentiment_module

    monkeypatch.setattr(sentiment_module, "native_bf16", lambda: True)  # bf16 on any CPU, as on one with it
    corpus, labeled = tiny_slice
    report = train_sentiment(SentimentArgs(
        base=SCRATCH_ROBERTA, data=labeled, out=tmp_path / "clf", epochs=1, batch_size=16, learning_rate=1e-3,
        corpus=corpus, lexicon=shared_data_dir() / "emote_lexicon.csv", more_labeled=[], weak_limit=0,
        emote_tokens=False, emote_swaps=0, invented_emotes=0, fit_dev=False, group_by_length=True, bf16=True))
    assert report["hyperparameters"]["group_by_length"] is True and report["hyperparameters"]["bf16"] is True
    assert report["precision"] == "bf16"
    weights = load_file(str(tmp_path / "clf" / "model.safetensors"))
    assert {str(tensor.dtype) for tensor in weights.values()} == {"torch.float32"}  # mixed precision: fp32 kept
    dev = report["metrics"]["dev"]
    predicted_labels = [any(row[k] for row in dev["confusion"]["matrix"]) for k in range(len(LABELS))]
    assert sum(predicted_labels) > 1  # not one label for every message, which any order would score alike
    # The sampler reorders dev too; the kept model is epoch 1's, so both readings of dev must agree.
    assert dev["macro_f1"] == pytest.approx(report["best_epoch_dev_macro_f1"])


@pytest.mark.skipif(torch.cuda.is_available(), reason="with CUDA, fine-tuning is fp16")
def test_bf16_fine_tuning_falls_back_to_fp32_on_a_cpu_without_native_bf16(tiny_slice, tmp_path, monkeypatch,
                                                                          caplog):
    import training.sentiment as sentiment_module

    corpus, labeled = tiny_slice
    reports = {}
    for native in (True, False):
        monkeypatch.setattr(sentiment_module, "native_bf16", lambda native=native: native)
        with caplog.at_level(logging.INFO, logger="training.sentiment"):
            reports[native] = train_sentiment(SentimentArgs(
                base=SCRATCH_ROBERTA, data=labeled, out=tmp_path / f"clf-{native}", epochs=1, batch_size=16,
                corpus=corpus, lexicon=None, more_labeled=[], weak_limit=0, emote_tokens=False,
                emote_swaps=0, invented_emotes=0, lexicon_features=False, fit_dev=False, bf16=True))
    assert [reports[native]["hyperparameters"]["bf16"] for native in (True, False)] == [True, True]
    assert [reports[native]["precision"] for native in (True, False)] == ["bf16", "fp32"]  # what ran
    assert caplog.text.count("fine-tuning in fp32: this CPU has no native bf16") == 1


def test_weight_averaging_leaves_the_moving_average_of_every_steps_weights_in_the_model(tmp_path):
    from transformers import Trainer, TrainerCallback, TrainingArguments

    from training.optimizer import WeightAverage

    class Line(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = torch.nn.Linear(2, 1)

        def forward(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
            return {"loss": torch.nn.functional.mse_loss(self.linear(x).squeeze(-1), y)}

    class Points(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return 12

        def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
            x = torch.tensor([i / 12, 1.0 - i / 12])
            return {"x": x, "y": 3 * x[0] - x[1]}

    seen: list[torch.Tensor] = []  # the trained weights after each step, as the optimizer left them
    begun: list[torch.Tensor] = []  # the weights each epoch starts from

    class Record(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            seen.append(kwargs["model"].linear.weight.detach().clone())

        def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            begun.append(kwargs["model"].linear.weight.detach().clone())

    torch.manual_seed(0)
    model = Line()
    start = model.linear.weight.detach().clone()
    average = WeightAverage(model, 0.3)  # from step 3 on, under (1 + t) / (10 + t)
    trainer = Trainer(model=model, args=TrainingArguments(
        output_dir=str(tmp_path), num_train_epochs=2, per_device_train_batch_size=4, learning_rate=0.1,
        report_to=[], use_cpu=True, save_strategy="no", disable_tqdm=True), train_dataset=Points(),
        callbacks=[average, Record()])
    trainer.train()
    expected = start
    for step, weights in enumerate(seen, start=1):
        decay = min(0.3, (1 + step) / (10 + step))
        expected = decay * expected + (1 - decay) * weights
    assert len(seen) == 6 and not torch.allclose(seen[-1], expected, atol=1e-4)  # a real average
    assert torch.allclose(model.linear.weight, expected, atol=1e-6)
    # Epoch 2 started again from epoch 1's trained weights, not from the average put in their place.
    assert len(begun) == 2 and torch.equal(begun[1], seen[2])
    assert average.trained is not None and torch.equal(average.trained["linear.weight"], seen[-1])


def test_layer_wise_decay_lowers_each_layers_rate_below_the_one_above_it():
    from transformers import BertConfig, BertForSequenceClassification

    from model.fusion import LexiconFusion
    from training.optimizer import optimizer

    layers = 3  # MiniLM's shape, smaller: embeddings, layers, pooler, classifier, and the lexicon head
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=layers, num_attention_heads=2,
                        intermediate_size=32)
    config.num_labels = 3
    model = LexiconFusion(BertForSequenceClassification(config))
    rates = {}
    for decay in (1.0, 0.5):
        args = SentimentArgs(out=Path("x"), learning_rate=1e-3, head_learning_rate=1e-2, layer_lr_decay=decay)
        groups = optimizer(model, args).param_groups
        assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))  # each once
        rates[decay] = {id(p): g["lr"] for g in groups for p in g["params"]}
    named = dict(model.named_parameters())
    head = [id(p) for n, p in named.items() if n.startswith("lexicon_head.")]
    assert {rates[1.0][i] for i in head} == {rates[0.5][i] for i in head} == {1e-2}
    assert {r for i, r in rates[1.0].items() if i not in head} == {1e-3}  # no decay: one rate, as before
    # ... and the groups of before, weight decay included: biases and norms without it, the head last.
    groups = optimizer(model, SentimentArgs(out=Path("x"), learning_rate=1e-3, head_learning_rate=1e-2)
                       ).param_groups
    plain = [n for n in named if not n.startswith("lexicon_head.")]
    no_decay = [n for n in plain if any(k in n for k in ("bias", "LayerNorm", "norm"))]
    assert [({id(p) for p in g["params"]}, g["lr"], g["weight_decay"]) for g in groups] == [
        ({id(named[n]) for n in plain if n not in no_decay}, 1e-3, 0.01),
        ({id(named[n]) for n in no_decay}, 1e-3, 0.0), (set(head), 1e-2, 0.0)]

    def rate(part: str) -> float:
        found = {rates[0.5][id(p)] for n, p in named.items() if part in n}
        assert len(found) == 1, part  # one rate for every parameter of the part
        return found.pop()

    assert rate("classifier.") == rate("pooler.") == 1e-3
    assert rate(f"layer.{layers - 1}.") == pytest.approx(1e-3 * 0.5)
    assert rate("layer.0.") == pytest.approx(1e-3 * 0.5 ** layers)
    assert rate("embeddings.") == pytest.approx(1e-3 * 0.5 ** (layers + 1))
    first = optimizer(model, SentimentArgs(out=Path("x"), learning_rate=1e-3, layer_lr_decay=0.5)).param_groups
    assert first[0]["lr"] == 1e-3  # the rate Trainer logs: the top's, not the embeddings'


def test_eval_reports_a_missing_data_file(capsys):
    capsys.readouterr()  # Trainer's own progress lines
    assert main(["eval", "--data", "/nonexistent/labels.csv", "--model", "x"]) == 2
    assert "labeled data /nonexistent/labels.csv does not exist" in capsys.readouterr().err


def test_eval_reads_the_columns_it_is_told_with_and_without_subsets(tiny_model_dir, tmp_path, capsys):
    renamed = tmp_path / "renamed.csv"
    rows = [("abcHype abcHype", "positive", "test"), ("this is so boring", "negative", "test"),
            ("what time is it", "neutral", "test"), ("PogChamp", "positive", "dev"),
            ("DansGame", "negative", "dev"), ("ok", "neutral", "train")]
    with open(renamed, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "msg", "mood", "part"])
        writer.writerows((f"l{i:05d}", *row) for i, row in enumerate(rows))
    columns = ["--text-col", "msg", "--label-col", "mood", "--split-col", "part"]
    common = ["eval", "--data", str(renamed), "--model", str(tiny_model_dir), "--quantize", "off", "--json"]
    capsys.readouterr()
    assert main([*common, *columns, "--split", "test"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 3
    assert main([*common, *columns, "--subsets"]) == 0
    subsets = json.loads(capsys.readouterr().out)["subsets"]
    assert subsets["all"]["n"] == 3 and subsets["emote_only"]["n"] == 1
    assert main([*common, "--text-col", "msg", "--label-col", "mood", "--split-col", "fold", "--subsets"]) == 2
    assert "no column 'fold' (columns: id, msg, mood, part); choose one with --split-col" in capsys.readouterr().err


def test_eval_options_that_would_be_ignored_or_misread_are_refused(tiny_model_dir, tmp_path, capsys):
    labeled = tmp_path / "labeled.csv"
    labeled.write_text("msg,label,split\nPogChamp PogChamp,positive,test\nDansGame,negative,test\n"
                       "what time is it,neutral,test\n", encoding="utf-8")
    common = ["eval", "--data", str(labeled), "--model", str(tiny_model_dir), "--quantize", "off",
              "--text-col", "msg"]
    capsys.readouterr()
    with pytest.raises(SystemExit):  # argparse's one usage line, not a split called ''
        main([*common, "--split", " ", "--subsets"])
    assert "argument --split: empty; name a split such as train, dev or test" in capsys.readouterr().err
    assert main([*common, "--lexicon", "mine.csv"]) == 2
    assert "--lexicon is read only with --subsets" in capsys.readouterr().err
    assert main([*common, "--split", "TEST", "--json"]) == 0  # split values are read in lower case
    assert json.loads(capsys.readouterr().out)["n"] == 3
    assert main([*common, "--subsets"]) == 0  # no dev rows, no id column: the footer says so
    footer = capsys.readouterr().out
    assert "threshold 0.2, the default: this file has no dev rows" in footer and "chosen on dev" not in footer
    assert "version_1 and version_2 read the id column" in footer


def test_mlm_checkpoint_keeps_the_base_pooler(tmp_path):
    import torch
    from transformers import BertConfig, BertForMaskedLM, BertForSequenceClassification, BertModel

    from training.mlm import keep_pooler

    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32)
    base = BertModel(config)
    base.save_pretrained(tmp_path / "base")
    BertForMaskedLM(config).save_pretrained(tmp_path / "mlm")
    assert keep_pooler(str(tmp_path / "base"), tmp_path / "mlm", "bert") == 2
    classifier = BertForSequenceClassification.from_pretrained(tmp_path / "mlm", num_labels=3)
    assert classifier.bert.pooler is not None and base.pooler is not None
    assert torch.equal(classifier.bert.pooler.dense.weight, base.pooler.dense.weight)


def test_the_masked_only_head_gives_the_full_heads_loss_and_gradients():
    import torch
    from transformers import BertConfig, BertForMaskedLM, RobertaConfig, RobertaForMaskedLM

    from training.mlm import MaskedOnly

    torch.manual_seed(0)
    bert = BertConfig(vocab_size=60, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                      intermediate_size=32)
    roberta = RobertaConfig(vocab_size=60, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=32, pad_token_id=1)
    for model in (BertForMaskedLM(bert).eval(), RobertaForMaskedLM(roberta).eval()):  # no dropout
        ids = torch.randint(5, 60, (3, 12))
        labels = torch.full_like(ids, -100)
        labels[:, ::4] = ids[:, ::4]
        full = model(input_ids=ids, labels=labels).loss
        weight = model.get_input_embeddings().weight
        assert isinstance(weight, torch.Tensor)
        (expected,) = torch.autograd.grad(full, weight)
        masked = MaskedOnly(model)(input_ids=ids, labels=labels)["loss"]
        (got,) = torch.autograd.grad(masked, weight)
        assert torch.allclose(full, masked, atol=1e-6)
        assert torch.allclose(got, expected, atol=1e-6)


def test_portable_reports_keep_file_names_and_drop_machine_paths():
    from pathlib import Path

    from training.report import portable

    report = {"base": "/tmp/runs/x.work/mlm", "data": {"path": Path("/work/shared/data/labeled.csv")},
              "list": ["~/corpus.txt", "minilm", 3], "name": "scratch:roberta"}
    assert portable(report) == {"base": "mlm", "data": {"path": "labeled.csv"},
                                "list": ["corpus.txt", "minilm", 3], "name": "scratch:roberta"}


def test_a_base_is_named_by_its_directorys_last_part_however_it_was_typed(tmp_path, monkeypatch):
    from training.report import base_name

    (tmp_path / "out.work" / "mlm").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert base_name("out.work/mlm") == base_name(tmp_path / "out.work" / "mlm") == "mlm"
    assert base_name("minilm") == "minilm" and base_name("org/model") == "org/model"  # not directories here



@pytest.fixture(scope="module")
def lexicon_model(tiny_slice, tmp_path_factory) -> tuple[Path, dict]:
    """A tiny classifier trained with lexicon features, lexicon tokens, emote tokens and emote swaps."""
    corpus, labeled = tiny_slice
    root = tmp_path_factory.mktemp("lexicon-model")
    mlm_args = MlmArgs(base=SCRATCH_ROBERTA, corpus=corpus, out=root / "mlm", steps=2, batch_size=8,
                       block_size=32, learning_rate=1e-3, emote_tokens=False,  # tokens join at fine-tuning
                       stream=None)
    mlm_args.scratch = TINY
    train_mlm(mlm_args)
    report = train_sentiment(SentimentArgs(
        base=str(root / "mlm"), data=labeled, out=root / "clf", epochs=1, batch_size=16, learning_rate=1e-3,
        lexicon=shared_data_dir() / "emote_lexicon.csv", lexicon_tokens=True, lexicon_features=True,
        emote_tokens=True, emote_swaps=2, invented_emotes=20, more_labeled=[]))
    return root / "clf", report


def test_lexicon_features_train_save_and_load(lexicon_model):
    from model.lexicon import LEXICON_FILE, read_lexicon
    from model.scorer import Scorer

    clf_dir, report = lexicon_model
    assert report["data"]["training_examples"]["lexicon_tokens"] == 1669
    assert report["data"]["training_examples"]["emote_swaps"] > 0
    assert report["data"]["training_examples"]["invented_emotes"] >= 30  # 20 alone, 10 without entry
    shipped = read_lexicon(shared_data_dir() / "emote_lexicon.csv")
    assert read_lexicon(clf_dir / LEXICON_FILE).entries == shipped.entries
    scorer = Scorer.load(clf_dir, quantize="off", precision="fp32")
    assert scorer.reads_lexicon
    assert float(scorer.model.lexicon_head.weight.detach().abs().sum()) > 0  # trained, not left at zero
    scores = scorer.predict(["abcHype abcHype", "", "BibleThump"])
    assert len(scores) == 3 and all(-1 <= s.value <= 1 for s in scores)


def test_channel_emotes_reach_the_model_identically_in_training_and_scoring(lexicon_model):
    """The one text path: the training set and the runtime Scorer give `abcHype abcHype` the same
    token ids and the same lexicon features (its word part `Hype` found as a suffix)."""
    from transformers import AutoTokenizer

    from model.encoding import ChatEncoder
    from model.lexicon import read_lexicon
    from model.scorer import Scorer
    from training.sentiment import EncodedSet

    clf_dir, _ = lexicon_model
    encoder = ChatEncoder(AutoTokenizer.from_pretrained(clf_dir), 64,
                          read_lexicon(shared_data_dir() / "emote_lexicon.csv"))
    training_item = EncodedSet(encoder, ["abcHype abcHype"], [2])[0]
    runtime = Scorer.load(clf_dir, quantize="off").encoder.encode(["abcHype abcHype"])
    assert training_item["input_ids"] == runtime.input_ids[0]
    hype = encoder.tokenizer.convert_tokens_to_ids("Hype")  # an emote token: the word part, once per emote
    assert training_item["input_ids"].count(hype) == 2
    assert runtime.features is not None
    assert training_item["lexicon_features"] == runtime.features[0]
    assert runtime.features[0][0] == 1.0 and runtime.features[0][1] > 0.4  # `Hype` is known and positive
    spelled = "abcHYPE xyzBigHypee"  # other capitals, a held letter, a longer word part: still `Hype`
    training_item = EncodedSet(encoder, [spelled], [2])[0]
    runtime = Scorer.load(clf_dir, quantize="off").encoder.encode([spelled])
    assert training_item["input_ids"] == runtime.input_ids[0] and training_item["input_ids"].count(hype) == 2
    assert runtime.features is not None and training_item["lexicon_features"] == runtime.features[0]


def test_an_invented_emotes_entry_reads_in_training_as_a_streamers_csv_at_scoring(lexicon_model, tmp_path):
    """EncodedSet's per-text entries (invented emotes) give the features the runtime Scorer gives
    the same text in a channel whose `model.emotes` CSV has that row; without the entry, none."""
    from transformers import AutoTokenizer

    from model.encoding import ChatEncoder
    from model.lexicon import read_lexicon
    from model.scorer import Scorer
    from training.sentiment import EncodedSet

    clf_dir, _ = lexicon_model
    encoder = ChatEncoder(AutoTokenizer.from_pretrained(clf_dir), 64,
                          read_lexicon(shared_data_dir() / "emote_lexicon.csv"))
    texts = ["Zorp Zorp PogChamp", "Zorp Zorp PogChamp"]
    training = EncodedSet(encoder, texts, [0, 2], [{"Zorp": -0.9}, None])
    emotes = tmp_path / "emotes.csv"
    emotes.write_text("token,sentiment\nZorp,-0.9\n", encoding="utf-8")
    scorer = Scorer.load(clf_dir, quantize="off")
    scorer.use_emotes(channels={"mine": emotes})
    runtime = scorer.encoder.encode(texts, [scorer.channel_lexicons["mine"], None])
    assert runtime.features is not None
    assert training[0]["lexicon_features"] == runtime.features[0]
    assert training[1]["lexicon_features"] == runtime.features[1]
    assert training[0]["lexicon_features"][2] == -0.9  # min: the entry was read
    assert training[1]["lexicon_features"][2] > 0  # min: PogChamp alone


def test_emote_tokens_are_one_token_each_and_start_from_their_meaning(lexicon_model):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from training.vocab import add_emote_tokens, read_emote_tokens

    base = lexicon_model[0].parent / "mlm"
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=3)
    lexicon = shared_data_dir() / "emote_lexicon.csv"
    meaning = {row.token: row.meaning for row in read_emote_tokens(lexicon)}
    assert "Hype" in meaning and "kekw" not in meaning and "cooked" not in meaning  # slang keeps its pieces
    before = model.get_input_embeddings().weight.detach().clone()
    own = tokenizer("😭", add_special_tokens=False)["input_ids"]
    pieces = tokenizer(meaning["😭"], add_special_tokens=False)["input_ids"]
    added = add_emote_tokens(tokenizer, model, lexicon)
    assert added == len(meaning)  # the byte-level vocabulary holds none of them as one token
    assert model.get_input_embeddings().weight.shape[0] == len(tokenizer)
    for text, token in (("lol 😭😭", "😭"), ("widepeepoSad", "widepeepoSad"), ("so :) ok", ":)")):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert tokenizer.convert_tokens_to_ids(token) in ids, text
    assert tokenizer("Hyped", add_special_tokens=False)["input_ids"] == [tokenizer.convert_tokens_to_ids("Hyped")]
    assert tokenizer.convert_tokens_to_ids("Hype") not in tokenizer("Hyperion", add_special_tokens=False)["input_ids"]
    expected = torch.stack([before[own].mean(0), before[pieces].mean(0)]).mean(0)
    assert torch.allclose(model.get_input_embeddings().weight[tokenizer.convert_tokens_to_ids("😭")], expected)


def test_mlm_with_emote_tokens_learns_them_and_fine_tuning_keeps_them(tiny_slice, tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from training.vocab import add_emote_tokens

    corpus, _ = tiny_slice
    lexicon = shared_data_dir() / "emote_lexicon.csv"
    mlm_args = MlmArgs(base=SCRATCH_ROBERTA, corpus=corpus, out=tmp_path / "mlm", steps=2, batch_size=8,
                       block_size=32, learning_rate=1e-3, emote_tokens=True, lexicon=lexicon, stream=None)
    mlm_args.scratch = TINY
    report = train_mlm(mlm_args)
    assert report["emote_tokens_added"] > 1000
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "mlm")
    assert tokenizer("KEKW", add_special_tokens=False)["input_ids"] == [tokenizer.convert_tokens_to_ids("KEKW")]
    model = AutoModelForSequenceClassification.from_pretrained(tmp_path / "mlm", num_labels=3)
    assert model.get_input_embeddings().weight.shape[0] == len(tokenizer)
    assert add_emote_tokens(tokenizer, model, lexicon) == 0  # the fine-tuning stage adds none twice


def test_a_lexicon_model_without_its_head_or_lexicon_names_the_missing_file(lexicon_model, tmp_path):
    import shutil

    from model.errors import ModelLoadError
    from model.scorer import Scorer

    clf_dir, _ = lexicon_model
    for missing in ("lexicon_head.safetensors", "lexicon.csv"):
        broken = tmp_path / missing
        shutil.copytree(clf_dir, broken)
        (broken / missing).unlink()
        with pytest.raises(ModelLoadError, match=missing):
            Scorer.load(broken)


def _parsed_mlm(parser: Any, argv: list[str]) -> tuple[Path | None, int]:
    from training.args import MlmArgs
    from training.cli import _parsed

    parsed = _parsed(MlmArgs, parser.parse_args(["train", "mlm", "--out", "x", *argv]))
    return parsed.stream, parsed.emote_weight


def test_training_arguments_have_one_default_and_one_help_in_their_dataclass():
    """The command line takes each option, default and help text from training/args.py."""
    import dataclasses

    from bot.cli import build_parser
    from training.args import MlmArgs, PipelineArgs, SentimentArgs

    parser = build_parser()
    for argv, classes in ((["train", "sentiment", "--out", "x"], (SentimentArgs,)),
                          (["train", "mlm", "--out", "x"], (MlmArgs,)),
                          (["train", "all", "--out", "x"], (SentimentArgs, PipelineArgs))):
        args = parser.parse_args(argv)
        for cls in classes:
            for field in dataclasses.fields(cls):
                if not field.init:
                    continue
                assert field.metadata.get("help"), f"{cls.__name__}.{field.name} has no help text"
                if field.name == "out":
                    continue
                factory: Any = field.default_factory
                default = field.default if field.default is not dataclasses.MISSING else factory()
                assert getattr(args, field.name) == default, (cls.__name__, field.name)
    # the shipped recipe's values, which the command line and the dataclass used to disagree on
    shipped = SentimentArgs(out=Path("x"))
    assert (shipped.class_weights, shipped.weak_limit, shipped.lexicon_tokens) == ("sqrt", 1000, True)
    assert (shipped.lexicon_features, shipped.emote_swaps, shipped.emote_tokens) == (True, 3, True)
    assert shipped.invented_emotes == 600 and shipped.epochs == 3
    mlm = MlmArgs(out=Path("x"))
    assert mlm.emote_weight == 3 and mlm.stream is not None and mlm.stream.name == "chat_stream_2025.csv"
    assert _parsed_mlm(parser, ["--stream", "", "--emote_weight", "1"]) == (None, 1)
    args = parser.parse_args(["train", "sentiment", "--out", "x", "--lexicon", "", "--no-lexicon-tokens",
                              "--class-weights", "none", "--learning-rate", "5e-5"])
    from training.cli import _parsed

    parsed = _parsed(SentimentArgs, args)
    assert parsed.lexicon is None and parsed.lexicon_tokens is False
    assert _parsed(SentimentArgs, parser.parse_args(["train", "all", "--out", "x", "--more_labeled", ""])
                   ).more_labeled == []
    assert _parsed(SentimentArgs, parser.parse_args(["train", "all", "--out", "x", "--more_labeled", "a.csv",
                                                     "b.csv"])).more_labeled == [Path("a.csv"), Path("b.csv")]
    assert parsed.class_weights == "none" and parsed.learning_rate == 5e-5 and parsed.out == Path("x")


def test_a_lexicon_model_scores_the_same_through_onnx(lexicon_model, tmp_path, corpus_lines):
    """The ONNX export carries the lexicon head: scores within 1e-4 of torch, filler rows and all."""
    import shutil

    pytest.importorskip("onnxruntime")
    from model.scorer import Scorer

    clf_dir, _ = lexicon_model
    directory = tmp_path / "model"
    shutil.copytree(clf_dir, directory)
    texts = [*corpus_lines[:37], "abcHype abcHype", "BibleThump", "KEKW KEKW 😂", ""]
    onnx = Scorer.load(directory, device="cpu", quantize="off", precision="fp32", backend="onnx")
    reference = Scorer.load(directory, device="cpu", quantize="off", precision="fp32", backend="torch")
    assert onnx.reads_lexicon and onnx.model is None
    for a, b in zip(onnx.predict(texts), reference.predict(texts), strict=True):
        assert abs(a.positive - b.positive) < 1e-4 and abs(a.negative - b.negative) < 1e-4


def test_a_lexicon_model_scores_the_same_through_the_frozen_bf16_graph(lexicon_model, corpus_lines):
    """bf16 on CPU runs a traced, frozen graph (model/traced.py): it reads the lexicon features
    and gives what eager mode gives, in every bucket shape a mixed batch reaches."""
    from model.scorer import Scorer

    clf_dir, _ = lexicon_model
    texts = [*corpus_lines[:300], "abcHype abcHype", "BibleThump", "KEKW KEKW 😂", ""]
    scorer = Scorer.load(clf_dir, device="cpu", quantize="off", precision="bf16")
    assert scorer.traced is not None and scorer.reads_lexicon
    traced = scorer.predict(texts)
    scorer.traced = None
    eager = scorer.predict(texts)
    for a, b in zip(traced, eager, strict=True):
        assert abs(a.positive - b.positive) < 1e-3 and abs(a.negative - b.negative) < 1e-3
    assert len({round(s.value, 3) for s in traced}) > 20  # not all alike


def test_precision_auto_times_a_lexicon_model_too(lexicon_model, monkeypatch):
    """The timing at load (model/calibrate.py) runs the lexicon head's features as well."""
    from model import precision as precision_module
    from model.scorer import Scorer

    monkeypatch.setattr(precision_module, "native_bf16", lambda: True)
    scorer = Scorer.load(lexicon_model[0], device="cpu", quantize="off")
    assert scorer.reads_lexicon and scorer.calibration is not None  # timed, not fallen back
    assert scorer.precision in ("bf16", "fp32")


def test_messages_of_held_out_blocks_are_found():
    # blocks of 4: [0 5 2 0] [6 7 2 0] [8 2 | ...]; block 1 holds the end of message 1 and the start of 2
    token_lists = [[0, 5, 2], [0, 6, 7, 2], [0, 8, 2], [0, 9, 2]]
    assert held_out_messages(token_lists, {1}, 4) == {1, 2}
    assert held_out_messages(token_lists, {0}, 4) == {0, 1}


def test_emote_passes_repeat_only_emote_messages_apart_and_keep_held_out_ones_out(tmp_path):
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text("token,kind,sentiment,meaning\nKEKW,bttv,0.6,laughing\nbased,slang,0.5,agree\n",
                       encoding="utf-8")
    texts = ["KEKW", "based take", "abcHype lets go", "hello", "KEKW KEKW", "😭"]
    token_lists = [[0, 10 + i, 2] for i in range(len(texts))]  # each message its own marker token
    blocks, repeated = emote_passes(texts, token_lists, {4}, lexicon, weight=3, block_size=3, seed=0)
    assert repeated == 3  # KEKW, abcHype, 😭; slang is no emote; message 4 is held out
    markers = [b[1] for b in blocks]
    assert sorted(markers) == [10, 10, 12, 12, 15, 15]
    wide, _ = emote_passes(texts, token_lists, {4}, lexicon, weight=3, block_size=9, seed=0)
    assert len(wide) == 2 and all(sorted(b[1::3]) == [10, 12, 15] for b in wide)  # one pass a block
    with pytest.raises(UsageError, match="emote_weight"):
        MlmArgs(out=tmp_path, emote_weight=0)


def test_stream_csv_errors_name_the_file_and_the_column(tmp_path):
    good = tmp_path / "stream.csv"
    good.write_text("user,message\nviewer1,KEKW\nviewer2,\nviewer3,  gg  \n", encoding="utf-8")
    assert read_stream(good) == ["KEKW", "gg"]
    bad = tmp_path / "bad.csv"
    bad.write_text("user,text\nviewer1,KEKW\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.csv has no message column"):
        read_stream(bad)
    with pytest.raises(DataError, match="does not exist"):
        read_stream(tmp_path / "missing.csv")


def test_the_training_defaults_are_the_shipped_models_recipe():
    from dataclasses import fields

    from model.paths import DEFAULT_MODEL_DIR
    from training.args import MlmArgs, PipelineArgs
    from training.report import portable

    report = json.loads((DEFAULT_MODEL_DIR / "training_report.json").read_text(encoding="utf-8"))
    defaults = SentimentArgs(out=Path("x"))
    for field in fields(SentimentArgs):
        if field.name in ("out", "base", "seed", "data", "corpus", "lexicon"):
            continue
        value = report["hyperparameters"][field.name]
        if field.name == "more_labeled" and isinstance(value, str):  # one file, as reports named it before
            value = [value]
        assert value == portable(getattr(defaults, field.name)), field.name  # files by their names
    assert defaults.teacher is None and report.get("teacher") is None  # self-training off
    assert report["precision"] == "bf16"  # fine-tuned in bf16, as the default runs where the CPU has it
    # training/README.md's command names the seeds that made it.
    command = re.search(r"twitch-mood train all --out model/default --seed (\d+) --mlm_seed (\d+)",
                        (Path(__file__).parents[2] / "training" / "README.md").read_text(encoding="utf-8"))
    assert command is not None
    assert (report["hyperparameters"]["seed"], report["mlm_stage"]["hyperparameters"]["seed"]) == (
        int(command[1]), int(command[2]))
    from model.paths import file_sha256
    from training.args import LABELS_DIR
    from training.evaluate import more_labeled_entries

    entries = more_labeled_entries(report)
    assert [entry["path"] for entry in entries] == [path.name for path in defaults.more_labeled]
    for entry in entries:  # the rows it learned are at hand
        assert entry["sha256"] == file_sha256(LABELS_DIR / entry["path"]), entry["path"]
    mlm, mlm_defaults = report["mlm_stage"], MlmArgs(out=Path("x"))
    for name, value in mlm["hyperparameters"].items():
        default = getattr(mlm_defaults, name)
        assert value == (default.name if isinstance(default, Path) else default), name
    assert mlm_defaults.stream is not None and mlm["stream"]["path"] == mlm_defaults.stream.name
    assert mlm_defaults.leave_out is None and mlm.get("left_out") is None
    pipeline = PipelineArgs()
    assert (pipeline.mlm_steps, pipeline.mlm_emote_weight) == (mlm_defaults.steps, mlm_defaults.emote_weight)
    assert pipeline.mlm_stream == mlm_defaults.stream


def test_the_shipped_recipe_of_the_comparison_table_is_the_training_defaults():
    from dataclasses import fields

    from training.recipes import RECIPES, SHIPPED_RECIPE

    options = dict(RECIPES[SHIPPED_RECIPE])
    assert options.pop("mlm", True) and not options.pop("version_1_only", False)
    assert options.pop("mlm_steps", MlmArgs(out=Path("x")).steps) == MlmArgs(out=Path("x")).steps
    recipe, defaults = SentimentArgs(out=Path("x"), **options), SentimentArgs(out=Path("x"))
    assert [f.name for f in fields(SentimentArgs) if getattr(recipe, f.name) != getattr(defaults, f.name)] == []


def test_the_mlm_text_can_leave_the_evaluation_messages_out(tmp_path):
    from training.mlm import without_evaluation_messages

    labeled = tmp_path / "labeled.csv"
    labeled.write_text("text,label,split\nnice one,positive,train\nKEKW   KEKW,positive,dev\n"
                       "this stream is dead,negative,test\n", encoding="utf-8")
    texts = unique_messages(["nice one", "KEKW KEKW", "this stream is dead", "hello chat", "THIS STREAM IS DEAD"])
    # the tokenizer reads lower case: the shouted copy is the test message to the model
    assert without_evaluation_messages(texts, labeled) == (["nice one", "hello chat"], 3)
