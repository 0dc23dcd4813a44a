"""Side-by-side figures of several models: versions, agreement, offsets chosen on dev."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from mood.errors import UsageError
from training.seeds import agreement, by_version, dev_offsets, format_side_by_side, side_by_side, with_offsets


def test_scores_are_split_by_labeled_set_version():
    ids = ["l00001", "l00002", "l02650", "l09999"]
    scores = by_version([*ids, "x7"], [0, 1, 2, 2, 0], [0, 1, 1, 1, 2])  # "x7": in neither version
    assert scores["version_1"] == pytest.approx(2 / 3)  # both right: negative and neutral F1 1, positive 0
    assert scores["version_2"] == pytest.approx(0.0)
    assert set(scores) == {"all", "version_1", "version_2"}


def test_agreement_is_the_mean_over_pairs():
    assert agreement([[0, 1, 2, 2], [0, 1, 2, 1], [0, 1, 2, 2]]) == pytest.approx((0.75 + 1.0 + 0.75) / 3)
    assert agreement([[1, 2]]) is None


def test_offsets_chosen_on_dev_fix_a_model_that_under_calls_negative():
    # negatives come out with neutral ahead by a small, steady margin
    gold = [0] * 10 + [1] * 10 + [2] * 10
    probs = np.array([[0.40, 0.45, 0.15]] * 10 + [[0.10, 0.80, 0.10]] * 10 + [[0.05, 0.15, 0.80]] * 10)
    negative, positive, f1 = dev_offsets(probs, gold)
    assert negative > 0 and f1 == pytest.approx(1.0)
    assert with_offsets(probs, negative, positive) == gold
    assert dev_offsets(np.eye(3)[gold] * 0.9 + 0.05, gold)[:2] == (0.0, 0.0)  # nothing to fix: no offset


def test_models_side_by_side_through_the_scorer(tiny_model_dir, corpus_lines, tmp_path):
    data = tmp_path / "labeled.csv"
    rows = ["id,text,label,split"] + [
        f"l{2600 + i:05d},{text.replace(',', ' ')},{('negative', 'neutral', 'positive')[i % 3]},"
        f"{('train', 'dev', 'test')[i % 3]}" for i, text in enumerate(corpus_lines[:120]) if text.strip()]
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    twin = shutil.copytree(tiny_model_dir, tmp_path / "twin")
    result = side_by_side([tiny_model_dir, twin], data, lexicon=None)
    assert result["same_labels"] == {"dev": 1.0, "test": 1.0}  # the same weights twice
    one = result["models"][tiny_model_dir.name]
    assert one["test"] == result["models"]["twin"]["test"] == result["averaged"]["test"]
    assert set(one["test"]) == {"all", "version_1", "version_2"}  # ids l02600-l02719 hold both
    assert one["offsets"]["dev"] >= one["dev"]["all"]
    assert "same label, two models: dev 100.0%" in format_side_by_side(result)
    with pytest.raises(UsageError, match="share a name"):
        side_by_side([tiny_model_dir, tiny_model_dir], data, lexicon=None)
