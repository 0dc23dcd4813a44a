"""The distilled student: fewer layers of the teacher, trained on its probabilities, compared fairly."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from mood.errors import UsageError
from training.args import DistillArgs, PipelineArgs, SentimentArgs
from training.data import DataError, LabeledSet
from training.distill import distill, distillation_texts, student_of
from training.evaluate import evaluate
from training.pipeline import run_pipeline, summary


@pytest.fixture
def chat(corpus_lines, tmp_path):
    """A small corpus and a labeled CSV with all three splits."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(corpus_lines[:120]) + "\n", encoding="utf-8")
    data = tmp_path / "labeled.csv"
    rows = ["id,text,label,split"] + [
        f"l{i:05d},{text.replace(',', ' ')},{('negative', 'neutral', 'positive')[i % 3]},{('train', 'dev', 'test')[i % 3]}"
        for i, text in enumerate(corpus_lines[200:260]) if text.strip()]
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return corpus, data


def test_a_student_keeps_the_named_layers_and_learns_the_teacher(tiny_model_dir, chat, tmp_path):
    corpus, data = chat
    report = distill(DistillArgs(out=tmp_path / "student", teacher=tiny_model_dir, layers=[1], corpus=corpus,
                                 data=data, epochs=3, learning_rate=1e-3))
    config = json.loads((tmp_path / "student" / "config.json").read_text())
    assert config["num_hidden_layers"] == 1
    assert report["messages"] > 100
    first, *_, last = report["train_loss_log"]
    assert last < first  # it learns the teacher's probabilities
    for split in ("dev", "test"):
        compared = report["compared"][split]
        assert 0.0 <= compared["same_labels"] <= 1.0 and 0.0 <= compared["student"] <= 1.0
    scored = evaluate(tmp_path / "student", data, split="dev", quantize="off", precision="fp32")
    assert report["metrics"]["dev"]["confusion"] == scored["confusion"]  # the student's own metrics
    saved = (tmp_path / "student" / "distill_report.json").read_text()
    assert str(tmp_path) not in saved


def test_train_all_can_ship_a_distilled_student(tiny_model_dir, chat, tmp_path):
    corpus, data = chat
    out = tmp_path / "shipped"
    report = run_pipeline(
        PipelineArgs(no_mlm=True, distill_layers=[1], distill_epochs=1),
        SentimentArgs(base=str(tiny_model_dir), data=data, corpus=corpus, out=out, epochs=1, batch_size=16,
                      learning_rate=1e-3, lexicon=None, lexicon_features=False, emote_swaps=0,
                      emote_tokens=False, invented_emotes=0, fit_dev=False, more_labeled=[]))
    assert json.loads((out / "config.json").read_text())["num_hidden_layers"] == 1
    saved = json.loads((out / "training_report.json").read_text())
    assert saved["distill_stage"]["hyperparameters"]["layers"] == [1]
    assert saved["metrics"]["test"]["macro_f1"] == pytest.approx(
        saved["distill_stage"]["compared"]["test"]["student"], abs=1e-4)  # the metrics are the student's
    assert set(saved["fine_tuned_metrics"]) == {"dev", "test"}
    assert not (out / "distill_report.json").exists()
    assert str(tmp_path) not in (out / "training_report.json").read_text()
    assert "student macro-F1" in summary(report)
    assert summary({"metrics": {}}) == "no split left to score (the model learned every split the data has)"


def test_a_student_names_only_layers_the_teacher_has(tiny_model_dir):
    with pytest.raises(UsageError, match="--layers must name distinct layers among 0-1"):
        student_of(tiny_model_dir, [0, 5])
    with pytest.raises(UsageError, match="--layers"):
        student_of(tiny_model_dir, [1, 1])


def test_the_student_never_sees_a_dev_or_test_message(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("gg ez\nwhat a play\nthis stream is dead\nhello chat\n", encoding="utf-8")
    labeled = LabeledSet(texts={"train": ["nice one"], "dev": ["what a play"], "test": ["this stream is dead"]},
                         labels={"train": [2], "dev": [2], "test": [0]})
    assert distillation_texts(corpus, labeled) == ["gg ez", "hello chat", "nice one"]


def test_train_all_refuses_a_distillation_stage_before_training(tiny_model_dir, chat, tmp_path):
    corpus, data = chat
    sentiment = SentimentArgs(base=str(tiny_model_dir), data=data, corpus=corpus, out=tmp_path / "out",
                              lexicon=None, lexicon_features=False, emote_swaps=0, emote_tokens=False)
    with pytest.raises(UsageError, match=r"compares the student with its teacher on dev.*--no_fit_dev"):
        run_pipeline(PipelineArgs(no_mlm=True, distill_layers=[1]), sentiment)  # fit_dev, the default
    sentiment.fit_dev = False
    with pytest.raises(UsageError, match="distinct layers among 0-1, got \\[0, 9\\]"):
        run_pipeline(PipelineArgs(no_mlm=True, distill_layers=[0, 9]), sentiment)
    no_test = tmp_path / "no-test.csv"  # the student is compared with its teacher on dev and test
    no_test.write_text("".join(line + "\n" for line in data.read_text(encoding="utf-8").splitlines()
                               if not line.endswith(",test")), encoding="utf-8")
    with pytest.raises(DataError, match=r"no-test\.csv: no rows in split 'test'"):
        run_pipeline(PipelineArgs(no_mlm=True, distill_layers=[1]), replace(sentiment, data=no_test))
    with pytest.raises(DataError, match="no rows in split 'test'"):
        distill(DistillArgs(out=tmp_path / "student", teacher=tiny_model_dir, layers=[1], corpus=corpus,
                            data=no_test))
    sentiment.corpus = None
    with pytest.raises(DataError, match="needs a corpus"):
        run_pipeline(PipelineArgs(no_mlm=True, distill_layers=[1]), sentiment)
    assert not (tmp_path / "out.work").exists() and not (tmp_path / "student").exists()  # nothing was trained
