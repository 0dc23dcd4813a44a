"""The distilled student: fewer layers of the teacher, trained on its probabilities, compared fairly."""

from __future__ import annotations

import json

import pytest

from mood.errors import UsageError
from training.args import DistillArgs
from training.data import LabeledSet
from training.distill import distill, distillation_texts, student_of


def test_a_student_keeps_the_named_layers_and_learns_the_teacher(tiny_model_dir, corpus_lines, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(corpus_lines[:120]) + "\n", encoding="utf-8")
    data = tmp_path / "labeled.csv"
    rows = ["id,text,label,split"] + [
        f"l{i:05d},{text.replace(',', ' ')},{('negative', 'neutral', 'positive')[i % 3]},{('train', 'dev', 'test')[i % 3]}"
        for i, text in enumerate(corpus_lines[200:260]) if text.strip()]
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
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
    saved = (tmp_path / "student" / "distill_report.json").read_text()
    assert str(tmp_path) not in saved


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
