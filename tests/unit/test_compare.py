"""The comparison table of training/README.md: mean ± spread per recipe, the probe per seed."""

from __future__ import annotations

import json

import pytest

from model.paths import file_sha256
from mood.errors import UsageError
from training.compare import check_mlm, main, table


def run(recipe: str, seed: int, dev: float, probe: int | None = None) -> dict:
    entry = {"recipe": recipe, "seed": seed, "dev/all": dev, "dev/all/lexicon": 0.625}
    if probe is not None:
        entry.update({"probe/all": probe, "probe/all/n": 62, "probe/unseen_emotes": probe - 40,
                      "probe/unseen_emotes/n": 20})
    return entry


def test_table_gives_mean_and_sample_spread_and_the_probe_per_seed():
    lines = table([run("base", 1, 0.72, 58), run("base", 0, 0.70, 56), run("features", 0, 0.74)]).splitlines()
    base = next(line for line in lines if line.startswith("| base |"))
    assert "| 2 | 0.710 ± 0.014 |" in base
    assert base.endswith("| 56, 58 (16, 18) of 62 (20) | - |")
    features = next(line for line in lines if line.startswith("| features |"))
    assert "| 1 | 0.740 |" in features and features.endswith("| - | - |")  # one seed: no spread, no probe
    assert lines[-1].startswith("| lexicon only | - | 0.625 |")


def test_probe_fills_only_runs_with_a_kept_model_and_no_counts(tmp_path, tiny_model_dir, capsys):
    runs = tmp_path / "runs.jsonl"
    runs.write_text("".join(json.dumps(r) + "\n" for r in (run("base", 0, 0.7), run("base", 1, 0.7, 50))))
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "base-seed0").symlink_to(tiny_model_dir)
    (keep / "base-seed1").symlink_to(tiny_model_dir)
    assert main(["--runs", str(runs), "--probe", str(keep)]) == 0
    assert "base-seed0:" in capsys.readouterr().out
    first, second = (json.loads(line) for line in runs.read_text().splitlines())
    assert first["probe/all/n"] == 62 and first["probe/unseen_emotes/n"] == 20
    assert 0 <= first["probe/all"] <= 62
    assert second["probe/all"] == 50  # already counted: left as it was
    # the tiny model reads no lexicon, so a CSV cannot move it: each text is right in exactly one
    # of the three conditions (no entry / positive entry / negative entry)
    assert first["streamer_emotes/n"] == 120 and first["streamer_emotes"] == 40
    assert second["streamer_emotes"] == 40


def test_streamer_emote_cell_lists_each_seed():
    runs = [run("base", 0, 0.7) | {"streamer_emotes": 86, "streamer_emotes/n": 120},
            run("base", 1, 0.7) | {"streamer_emotes": 101, "streamer_emotes/n": 120}]
    base = next(line for line in table(runs).splitlines() if line.startswith("| base |"))
    assert base.endswith("| 86, 101 of 120 |")


def test_a_recipe_refuses_an_mlm_checkpoint_trained_on_other_data(tmp_path):
    reports = {
        "plain": {"stream": None, "hyperparameters": {"emote_tokens": False}},
        "plain-tokens": {"stream": None, "hyperparameters": {"emote_tokens": True}},
        "stream": {"stream": {"path": "../shared/data/chat_stream_2025.csv"},  # a relative path: by name
                   "hyperparameters": {"emote_weight": 3, "emote_tokens": True}},
        "stream-1800-steps": {"stream": {"path": "chat_stream_2025.csv"},
                              "hyperparameters": {"emote_weight": 3, "emote_tokens": True, "steps": 1800}},
        "stream-without-eval": {"stream": {"path": "chat_stream_2025.csv"},
                                "left_out": {"path": "labeled_2025.csv"},
                                "hyperparameters": {"emote_weight": 3, "emote_tokens": True}},
    }
    for name, report in reports.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "mlm_report.json").write_text(json.dumps(report))
    check_mlm("features", tmp_path / "plain")
    check_mlm("features+swaps+tokens", tmp_path / "plain-tokens")
    check_mlm("features+swaps+tokens+invented+stream-mlm", tmp_path / "stream")
    check_mlm("features+swaps+tokens+invented+stream-mlm-without-eval+3-epochs", tmp_path / "stream-without-eval")
    for recipe, wrong in (("features+swaps+tokens+invented+stream-mlm", "plain-tokens"),
                          ("features", "stream"), ("features", "plain-tokens"),  # emote tokens it lacks
                          ("features+swaps+tokens", "plain"),
                          ("features+swaps+tokens+invented+stream-mlm", "stream-without-eval"),
                          ("features+swaps+tokens+invented+stream-mlm", "stream-1800-steps")):
        with pytest.raises(UsageError, match="needs an MLM checkpoint trained with"):
            check_mlm(recipe, tmp_path / wrong)
    with pytest.raises(UsageError, match=r"no mlm_report\.json"):
        check_mlm("features", tmp_path)


def test_a_model_fitted_on_dev_is_scored_on_test_only(tmp_path, tiny_model_dir, monkeypatch):
    import shutil

    import training.evaluate
    from training.compare import scores
    from training.recipes import RECIPES

    # Each recipe runs in the precision its name says (the default is bf16 where the CPU has it natively).
    assert [name for name, options in RECIPES.items() if options["bf16"]] == [
        name for name in RECIPES if "+bf16" in name]
    assert [name for name, options in RECIPES.items() if options["fit_dev"]] == [
        "features+swaps+tokens+invented+stream-mlm+3-epochs+fit-dev",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+fit-dev+more-labels",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+fit-dev+more-labels-2",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+fit-dev+more-labels+uncertain-labels",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+fit-dev+all-labels",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+fit-dev+all-labels+negative-labels",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+fit-dev+all-labels+negative-labels+bf16"
        "+negative-labels-2+negative-labels-3"]  # the rest: dev
    assert [name for name, options in RECIPES.items() if options["more_labeled"]] == [
        "features+swaps+tokens+invented+stream-mlm+3-epochs+more-labels",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+fit-dev+more-labels",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+more-labels-2",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+fit-dev+more-labels-2",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+more-labels+emote-labels",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+more-labels+uncertain-labels",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+fit-dev+more-labels+uncertain-labels",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+all-labels",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+fit-dev+all-labels",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+all-labels+negative-labels",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+fit-dev+all-labels+negative-labels",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+all-labels+negative-labels+length-batches",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+all-labels+negative-labels+bf16",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+all-labels+negative-labels+bf16+mlm-1600",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+all-labels+negative-labels+bf16+negative-labels-2",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+all-labels+negative-labels+bf16+negative-labels-2"
        "+negative-labels-3",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+fit-dev+all-labels+negative-labels+bf16"
        "+negative-labels-2+negative-labels-3",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+all-labels+negative-labels+bf16+negative-labels-2"
        "+negative-labels-3+ema",
        "features+swaps+tokens+invented+stream-mlm+3-epochs+all-labels+negative-labels+bf16+negative-labels-2"
        "+negative-labels-3+llrd-0.9"]
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    scored = []

    def fake_subsets(model, data, lexicon, *, split, **_):
        scored.append(split)
        return {"subsets": {"all": {"n": 3, "model": {"macro_f1": 0.5}, "lexicon": {"macro_f1": 0.4}}}}

    monkeypatch.setattr(training.evaluate, "evaluate_subsets", fake_subsets)
    data = tmp_path / "data.csv"
    data.write_text("id,text,label,split\nl00000,gg,positive,dev\nl00001,ok,neutral,test\n")
    learned = {"data": {"sha256": file_sha256(data)}}
    (model / "training_report.json").write_text(json.dumps({"hyperparameters": {"fit_dev": False}, **learned}))
    assert set(scores(model, data, tmp_path / "lexicon.csv")) >= {"dev/all", "test/all"}
    (model / "training_report.json").write_text(json.dumps({"hyperparameters": {"fit_dev": True}, **learned}))
    scored.clear()
    assert set(scores(model, data, tmp_path / "lexicon.csv")) == {"test/all", "test/all/lexicon", "test/all/n"}
    assert scored == ["test"]
    fold = tmp_path / "fold.csv"  # a cross-validation fold: no test split to score
    fold.write_text("id,text,label,split\nl00000,gg,positive,dev\nl00001,ok,neutral,heldout\n")
    (model / "training_report.json").write_text(json.dumps({"hyperparameters": {"fit_dev": False}}))
    scored.clear()
    assert set(scores(model, fold, tmp_path / "lexicon.csv")) == {"dev/all", "dev/all/lexicon", "dev/all/n"}
    assert scored == ["dev"]


def test_the_lexicon_row_comes_from_a_run_that_chose_on_dev():
    fitted = {"recipe": "features+swaps+tokens+invented+stream-mlm+3-epochs+fit-dev", "seed": 0,
              "test/unseen_emotes": 0.8, "test/unseen_emotes/lexicon": 0.636}
    chose = run("base", 0, 0.7) | {"test/unseen_emotes": 0.7, "test/unseen_emotes/lexicon": 0.643}
    lexicon = table([fitted, chose]).splitlines()[-1]
    assert lexicon.startswith("| lexicon only | - | 0.625 |") and "| 0.643 |" in lexicon and "0.636" not in lexicon


def test_each_recipe_needs_the_mlm_data_its_name_says():
    from training.recipes import required_mlm

    stream = {"stream": "chat_stream_2025.csv", "emote_weight": 3, "left_out": None, "steps": 1200,
              "emote_tokens": True}
    assert required_mlm("features+swaps+tokens+invented+stream-mlm+3-epochs+no-swaps") == stream
    assert required_mlm("features+swaps+tokens+invented+stream-mlm+3-epochs+fit-dev") == stream
    assert required_mlm("features+swaps+tokens+invented+stream-mlm-without-eval+3-epochs") == {
        **stream, "left_out": "labeled_2025.csv"}
    plain = {"stream": None, "emote_weight": 1, "left_out": None, "steps": 1200}
    assert required_mlm("features+swaps+tokens") == {**plain, "emote_tokens": True}
    assert required_mlm("features+swaps") == {**plain, "emote_tokens": False}
    longer = "features+swaps+tokens+invented+stream-mlm+3-epochs+all-labels+negative-labels+bf16+mlm-1600"
    assert required_mlm(longer) == {**stream, "steps": 1600}


def test_cross_validation_folds_score_every_train_and_dev_row_once_and_never_test(tmp_path):
    import csv
    import hashlib

    from training.splits import HELDOUT, Fold, fold_csv, version_1_csv

    data = tmp_path / "labeled.csv"
    rows = [(f"l{i:05d}", f"message {i}", "neutral", ("train", "dev", "test")[i % 3]) for i in range(0, 9000, 30)]
    with open(data, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "label", "split"])
        writer.writerows(rows)
    def read(path):
        return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))

    partitions = []
    for salt in (0, 1):
        dev_of: dict[str, int] = {}
        for k in range(3):
            folded = read(fold_csv(data, Fold(k, 3, salt), tmp_path))
            assert [r["id"] for r in folded] == [r[0] for r in rows]  # every row kept, in order
            for row, original in zip(folded, rows, strict=True):
                if original[3] == "test":
                    assert row["split"] == HELDOUT
                elif row["split"] == "dev":
                    assert row["id"] not in dev_of
                    dev_of[row["id"]] = k
                else:
                    assert row["split"] == "train"
        assert set(dev_of) == {r[0] for r in rows if r[3] != "test"}  # each train and dev row is dev once
        assert all(sum(1 for k in dev_of.values() if k == fold) > 40 for fold in range(3))  # 200 rows, 3 folds
        partitions.append(dev_of)
    first, salted = partitions
    # Salt 0 is the partition the first cross-validation ran on; salt 1 another one.
    assert first == {i: int(hashlib.sha256(i.encode()).hexdigest(), 16) % 3 for i in first}
    assert salted == {i: int(hashlib.sha256(f"1:{i}".encode()).hexdigest(), 16) % 3 for i in salted}
    assert sum(first[i] == salted[i] for i in first) < 0.5 * len(first)  # about a third by chance
    version_1 = read(version_1_csv(data, tmp_path))  # later rows stay, held out, so no extra example repeats them
    assert [(r["id"], r["split"]) for r in version_1] == [(i, split if i < "l02650" else HELDOUT)
                                                         for i, _, _, split in rows]


def test_cross_validation_runs_get_a_row_of_their_own_and_no_lexicon_row(capsys, tmp_path):
    chosen = "features+swaps+tokens+invented+stream-mlm+3-epochs"
    runs = [run(chosen, 0, 0.76), run(chosen, 1, 0.75)]
    runs += [run(chosen, 0, dev) | {"fold": k, "folds": 3, "dev/all/lexicon": 0.5}
             for k, dev in enumerate((0.74, 0.75, 0.73))]
    runs += [run(chosen, 1, dev) | {"fold": k, "folds": 3, "fold_salt": 1, "dev/all/lexicon": 0.5}
             for k, dev in enumerate((0.70, 0.72, 0.71))]
    lines = table(runs).splitlines()
    assert any(line.startswith(f"| {chosen} | 2 | 0.755 ± 0.007 |") for line in lines)
    assert any(line.startswith(f"| {chosen}, 3-fold CV (3 runs) | 1 | 0.740 ± 0.010 |") for line in lines)
    assert any(line.startswith(f"| {chosen}, 3-fold CV, salt 1 (3 runs) | 1 | 0.710 ± 0.010 |")
               for line in lines)
    # A run's line names its fold, and the kept model's folder follows from it (--probe reads them back).
    from training.compare import kept_dir
    from training.splits import Fold
    assert [kept_dir(tmp_path, chosen, r["seed"], Fold.of_run(r)).name
            for r in (runs[0], runs[3], runs[7])] == [
        f"{chosen}-seed0", f"{chosen}-seed0-fold1of3", f"{chosen}-seed1-fold2of3salt1"]
    assert lines[-1].startswith("| lexicon only | - | 0.625 |")
    runs_file = ["--runs", str(tmp_path / "runs.jsonl")]
    for wrong, message in ((["--fold", "1"], "--fold needs --folds"), (["--folds", "1"], "--folds must be 2 to 10"),
                           (["--folds", "0", "--fold", "0"], "--folds must be 2 to 10"),
                           (["--folds", "3", "--fold", "3"], "--fold must be 0 to 2"),
                           (["--folds", "3", "--fold", "0", "0"], "--fold names a fold twice"),
                           (["--fold_salt", "1"], "--fold_salt needs --folds"),
                           (["--folds", "3", "--fold_salt", "-1"], "--fold_salt must be 0 or more"),
                           (["--runs", str(tmp_path / "no" / "runs.jsonl")], "not a file in an existing directory"),
                           (["--runs", str(tmp_path)], "not a file in an existing directory"),
                           (["--keep", str(tmp_path / "runs.jsonl")], "not a directory")):
        (tmp_path / "runs.jsonl").write_text("")
        with pytest.raises(SystemExit):
            main(["--recipe", chosen, *runs_file, *wrong])
        assert message in capsys.readouterr().err
    (tmp_path / "runs.jsonl").write_text("not json\n")
    assert main(["--table", *runs_file]) == 2
    assert "not one JSON object per line" in capsys.readouterr().err


def test_a_version_1_recipe_refuses_more_labeled_chat(tmp_path):
    from training.args import MORE_LABELED
    from training.compare import run

    with pytest.raises(UsageError, match="learns from version 1 alone, which more labeled chat cannot join"):
        run("old-data", 0, None, tmp_path, more_labeled=[MORE_LABELED])


def test_a_recipe_s_mlm_steps_choose_its_checkpoint_and_are_no_fine_tuning_option(tmp_path, monkeypatch):
    import training.sentiment
    from training.compare import run

    longer = "features+swaps+tokens+invented+stream-mlm+3-epochs+all-labels+negative-labels+bf16+mlm-1600"
    trained = []

    class Stop(Exception):
        pass

    def fake_train(args):
        trained.append(args)
        raise Stop

    monkeypatch.setattr(training.sentiment, "train_sentiment", fake_train)
    for steps in (1200, 1600):
        (tmp_path / str(steps)).mkdir()
        (tmp_path / str(steps) / "mlm_report.json").write_text(json.dumps(
            {"stream": {"path": "chat_stream_2025.csv"},
             "hyperparameters": {"emote_weight": 3, "emote_tokens": True, "steps": steps}}))
    with pytest.raises(UsageError, match="needs an MLM checkpoint trained with"):
        run(longer, 0, tmp_path / "1200", tmp_path)  # refused before any training
    assert trained == []
    # A leftover `mlm_steps` would make SentimentArgs raise TypeError instead of reaching the training.
    with pytest.raises(Stop):
        run(longer, 0, tmp_path / "1600", tmp_path)
    assert trained[0].base == str(tmp_path / "1600") and trained[0].bf16
