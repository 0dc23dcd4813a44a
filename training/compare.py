"""The comparison table of training/README.md: each recipe trained with several seeds, scored
through the runtime Scorer on dev and test and their subsets (version 1, unseen emotes,
emote-only), one JSON line per run; `--table` turns the lines into mean ± spread.
`--folds N` trains and scores each fold of a cross-validation over train and dev instead
(training/splits.py): dev columns only, one value per fold; `--fold_salt S` another partition.

    python -m training.compare --recipe features --seeds 0 1 2 --mlm DIR_MLM --runs runs.jsonl
    python -m training.compare --recipe features --folds 3 --seeds 0 --mlm DIR_MLM --runs runs.jsonl
    python -m training.compare --table --runs runs.jsonl

The recipes, and what each changes in the shipped defaults: `training/recipes.py`. Choose on
dev; the test columns are read once, for the table.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path, PurePath
from typing import Any

from model.lexicon import Lexicon
from model.paths import shared_data_dir
from mood.errors import UsageError, one_line_errors
from training.args import MLM_STEPS
from training.augment import EmoteInventor
from training.data import read_labeled
from training.recipes import RECIPES, required_mlm
from training.splits import Fold, fold_csv, version_1_csv

PROBE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "slang_probe.csv"
COLUMNS = (("dev", "all"), ("dev", "unseen_emotes"), ("dev", "emote_only"), ("test", "all"),
           ("test", "version_1"), ("test", "version_2"), ("test", "unseen_emotes"), ("test", "emote_only"))


def scores(model: Path, data: Path, lexicon: Path) -> dict[str, Any]:
    """Macro-F1 per split and subset, the model through the runtime Scorer, on the splits it did
    not learn from."""
    from training.evaluate import evaluate_subsets, fitted_splits

    result: dict[str, Any] = {}
    fitted = fitted_splits(model, data)
    present = read_labeled(data).sizes()  # a cross-validation fold has no test split
    for split in ("dev", "test"):
        if split in fitted or split not in present:
            continue
        report = evaluate_subsets(model, data, lexicon, split=split, quantize="off", precision="fp32")
        for name, entry in report["subsets"].items():
            result[f"{split}/{name}"] = entry["model"]["macro_f1"] if entry["model"] else None
            result[f"{split}/{name}/lexicon"] = entry["lexicon"]["macro_f1"] if entry["lexicon"] else None
            result[f"{split}/{name}/n"] = entry["n"]
    return result


def probe(model: Path) -> dict[str, int]:
    """Right answers on the slang/emote probe: all of it, and the emotes no labeled message shows."""
    from model.scorer import Scorer

    with open(PROBE, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    scorer = Scorer.load(str(model), quantize="off", precision="fp32")
    predicted = scorer.predict([r["text"] for r in rows])
    right = [s.label == r["label"] for s, r in zip(predicted, rows, strict=True)]
    new = [ok for ok, r in zip(right, rows, strict=True) if r["group"] == "unseen_emotes"]
    return {"probe/all": sum(right), "probe/all/n": len(rows), "probe/unseen_emotes": sum(new),
            "probe/unseen_emotes/n": len(new)}


def checked_emote(inventor: EmoteInventor) -> str:
    """A channel emote in shapes training never invents: a digit in the prefix (`qrs7Glork`) or an
    all-capitals word part (`zorpGLORK`), as real channel emotes often are."""
    part = inventor.pseudo_word()
    if inventor.rng.random() < 0.5:
        return inventor.pseudo_word().lower()[:3] + str(inventor.rng.randrange(10)) + part
    return inventor.pseudo_word().lower()[:4] + part.upper()


def streamer_emotes(model: Path, count: int = 20) -> dict[str, int]:
    """Issue 10's streamer-emote rule, counted: `count` channel emotes the lexicon and the
    checkpoint do not know, each alone and doubled (`X`, `X X`), must read neutral with no entry,
    positive after a `model.emotes` row `X,0.9` and negative after `X,-0.9`. The emotes are
    shaped apart from training's invented ones (`checked_emote`)."""
    from model.scorer import Scorer

    scorer = Scorer.load(str(model), quantize="off", precision="fp32")
    try:
        lexicon = scorer.encoder.lexicon or Lexicon({})
        inventor = EmoteInventor(lexicon, scorer.encoder.emote_words, seed=10_000)
        words = [inventor.new(partial(checked_emote, inventor)) for _ in range(count)]
        texts = [text for w in words for text in (w, f"{w} {w}")]
        right = 0
        with tempfile.TemporaryDirectory() as tmp:
            csvs = {}
            for channel, value in (("positive", 0.9), ("negative", -0.9)):
                csvs[channel] = Path(tmp) / f"{channel}.csv"
                csvs[channel].write_text("token,sentiment\n" + "".join(f"{w},{value}\n" for w in words))
            scorer.use_emotes(channels=csvs)
            for channel, label in ((None, "neutral"), ("positive", "positive"), ("negative", "negative")):
                predicted = scorer.predict(texts, [channel] * len(texts))
                right += sum(s.label == label for s in predicted)
    finally:
        scorer.close()
    return {"streamer_emotes": right, "streamer_emotes/n": 3 * len(texts)}


def mlm_data(mlm_dir: Path) -> dict[str, Any]:
    """What an MLM checkpoint was trained with (its mlm_report.json): its steps, the stream and left-out files
    by name, the emote weight and whether it has emote tokens."""
    report_file = mlm_dir / "mlm_report.json"
    if not report_file.is_file():
        raise UsageError(f"{mlm_dir} has no mlm_report.json: is it the output of `twitch-mood train mlm`?")
    report = json.loads(report_file.read_text(encoding="utf-8"))
    hyperparameters = report.get("hyperparameters", {})

    def name(entry: dict[str, Any] | None) -> str | None:
        return PurePath(entry["path"]).name if entry else None

    return {"stream": name(report.get("stream")), "emote_weight": hyperparameters.get("emote_weight", 1),
            "left_out": name(report.get("left_out")), "steps": hyperparameters.get("steps", MLM_STEPS),
            "emote_tokens": hyperparameters.get("emote_tokens", False)}


def check_mlm(recipe: str, mlm_dir: Path) -> None:
    """A recipe's MLM checkpoint must come from the MLM data the recipe names (`required_mlm`)."""
    wanted = required_mlm(recipe)
    found = mlm_data(mlm_dir)
    if found != wanted:
        raise UsageError(f"recipe {recipe!r} needs an MLM checkpoint trained with {wanted}, "
                         f"but {mlm_dir.name} was trained with {found}")


def run(recipe: str, seed: int, mlm_dir: Path | None, work: Path, fold: Fold | None = None,
        **overrides: Any) -> dict[str, Any]:
    """Train one recipe with one seed and score it; with `fold`: on that fold of a cross-validation
    over train and dev, scored on the fold's dev."""
    from training.args import SentimentArgs
    from training.sentiment import train_sentiment

    options = {**RECIPES[recipe], **overrides}
    data = shared_data_dir() / "labeled_2025.csv"
    lexicon = shared_data_dir() / "emote_lexicon.csv"
    version_1_only = options.pop("version_1_only", False)
    if version_1_only and options.get("more_labeled"):  # it would leave out version-1 messages only
        raise UsageError(f"recipe {recipe} learns from version 1 alone, which more labeled chat cannot join")
    train_data = version_1_csv(data, work) if version_1_only else data
    if fold is not None:
        if train_data != data or options.get("fit_dev"):
            raise UsageError(f"recipe {recipe} learns from other rows than train; it has no cross-validation")
        train_data = data = fold_csv(data, fold, work)
    use_mlm = options.pop("mlm", True)
    options.pop("mlm_steps", None)  # the MLM checkpoint's, checked below
    if use_mlm and mlm_dir is None:
        raise UsageError(f"recipe {recipe} needs --mlm DIR (the output of `twitch-mood train mlm`)")
    if use_mlm:
        assert mlm_dir is not None
        check_mlm(recipe, mlm_dir)
    args = SentimentArgs(base=str(mlm_dir) if use_mlm else "minilm", data=train_data, out=work / "model",
                         lexicon=lexicon, seed=seed, **options)
    report = train_sentiment(args)
    result = {"recipe": recipe, "seed": seed, "mlm": use_mlm, "duration_s": report["duration_s"],
              "epochs_run": report["epochs_run"], "cpu": report["hardware"].get("cpu"),
              "overrides": overrides, "best_dev_epoch_macro_f1": report["best_epoch_dev_macro_f1"],
              "teacher": report.get("teacher"), "precision": report.get("precision"),
              **(fold.fields() if fold else {})}
    result.update(scores(args.out, data, lexicon))  # dev (unless fitted on) and test of what it learned from
    result.update(probe(args.out))
    result.update(streamer_emotes(args.out))
    return result


def read_runs(runs_file: Path) -> list[dict[str, Any]]:
    try:
        lines = runs_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    except OSError as exc:
        raise UsageError(f"--runs {runs_file}: cannot read it ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise UsageError(f"--runs {runs_file}: not one JSON object per line ({exc})") from None


def kept_dir(keep: Path, recipe: str, seed: int, fold: Fold | None = None) -> Path:
    return keep / (f"{recipe}-seed{seed}" + (f"-{fold.name()}" if fold else ""))


def probe_kept(runs_file: Path, keep: Path) -> str:
    """Probe the kept model of every run without probe or streamer-emote counts; rewrite the runs
    file with them."""
    runs = read_runs(runs_file)
    done = []
    for entry in runs:
        model = kept_dir(keep, entry["recipe"], entry["seed"], Fold.of_run(entry))
        if not model.is_dir() or ("probe/all" in entry and "streamer_emotes" in entry):
            continue
        if "probe/all" not in entry:
            entry.update(probe(model))
        if "streamer_emotes" not in entry:
            entry.update(streamer_emotes(model))
        done.append(f"{model.name}: probe {entry['probe/all']} ({entry['probe/unseen_emotes']}), "
                    f"streamer emotes {entry['streamer_emotes']}")
    runs_file.write_text("".join(json.dumps(entry) + "\n" for entry in runs))
    return "\n".join(done) or "every run has its counts, or no kept model"


def spread(values: Sequence[float]) -> str:
    mean = statistics.fmean(values)
    if len(values) < 2:
        return f"{mean:.3f}"
    return f"{mean:.3f} ± {statistics.stdev(values):.3f}"


def probe_cell(runs: list[dict[str, Any]]) -> str:
    """Right answers per seed, the new emote sentences in brackets: `56, 58 (16, 17)` of 62 (20)."""
    probed = [r for r in runs if "probe/all" in r]
    if not probed:
        return "-"
    every = ", ".join(str(r["probe/all"]) for r in probed)
    new = ", ".join(str(r["probe/unseen_emotes"]) for r in probed)
    return f"{every} ({new}) of {probed[0]['probe/all/n']} ({probed[0]['probe/unseen_emotes/n']})"


def streamer_cell(runs: list[dict[str, Any]]) -> str:
    counted = [r for r in runs if "streamer_emotes" in r]
    if not counted:
        return "-"
    return ", ".join(str(r["streamer_emotes"]) for r in counted) + f" of {counted[0]['streamer_emotes/n']}"


def table(runs: list[dict[str, Any]]) -> str:
    """Markdown: mean ± sample standard deviation over seeds (over the folds and seeds of a
    cross-validation, on a row of its own), per recipe and column."""
    if not runs:
        raise UsageError("no runs to tabulate")
    header = (["recipe", "seeds"] + [f"{split} {name}" for split, name in COLUMNS]
              + ["probe (new ones)", "streamer emotes"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]

    def partition(entry: dict[str, Any]) -> tuple[int, int] | None:
        fold = Fold.of_run(entry)
        return None if fold is None else (fold.n, fold.salt)

    partitions = sorted({cv for cv in map(partition, runs) if cv is not None})
    for recipe, cv in ((recipe, cv) for recipe in RECIPES for cv in (None, *partitions)):
        chosen = sorted((r for r in runs if r["recipe"] == recipe and partition(r) == cv),
                        key=lambda r: (r["seed"], r.get("fold", 0)))
        if not chosen:
            continue
        seeds = str(len({r["seed"] for r in chosen}))
        if cv is None:
            cells = [recipe, seeds]
        else:
            salt = f", salt {cv[1]}" if cv[1] else ""
            cells = [f"{recipe}, {cv[0]}-fold CV{salt} ({len(chosen)} runs)", seeds]
        for split, name in COLUMNS:
            values = [r[f"{split}/{name}"] for r in chosen if r.get(f"{split}/{name}") is not None]
            cells.append(spread(values) if values else "-")
        cells.append(probe_cell(chosen))
        cells.append(streamer_cell(chosen))
        lines.append("| " + " | ".join(cells) + " |")
    # The lexicon on the subsets of a run that chose on dev (a `+fit-dev` run has no dev, and its
    # unseen-emote subset counts dev's emotes as seen).
    chose = next((r for r in runs if not RECIPES.get(r["recipe"], {}).get("fit_dev") and "folds" not in r),
                 runs[0])
    lexicon_cells = ["lexicon only", "-"] + [
        f"{chose[f'{split}/{name}/lexicon']:.3f}" if chose.get(f"{split}/{name}/lexicon") is not None
        else "-" for split, name in COLUMNS] + ["-", "-"]
    lines.append("| " + " | ".join(lexicon_cells) + " |")
    return "\n".join(lines)


@one_line_errors("python -m training.compare")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.compare",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--recipe", choices=sorted(RECIPES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--mlm", type=Path, help="the MLM-adapted checkpoint (twitch-mood train mlm)")
    parser.add_argument("--runs", type=Path, required=True, help="JSON lines, appended to")
    parser.add_argument("--table", action="store_true", help="print the table of --runs")
    parser.add_argument("--epochs", type=int, help="most epochs, for every recipe (default: the recipe's)")
    parser.add_argument("--patience", type=int, help="early-stopping patience, for every recipe")
    parser.add_argument("--folds", type=int, help="cross-validation over train and dev in this many folds "
                                                  "(training/splits.py), scored on each fold's dev")
    parser.add_argument("--fold", type=int, nargs="+", help="with --folds: only these folds (default: all)")
    parser.add_argument("--fold_salt", type=int, default=0,
                        help="with --folds: another partition into folds (default 0: the first one)")
    parser.add_argument("--keep", type=Path, help="keep each trained model as KEEP/<recipe>-seed<N>, "
                                                         "-fold<K>of<N>[salt<S>] added for a fold")
    parser.add_argument("--probe", type=Path, metavar="KEEP",
                        help="add the probe's and the streamer-emote counts from KEEP's models to runs "
                             "that lack them")
    args = parser.parse_args(argv)
    if args.probe:
        print(probe_kept(args.runs, args.probe))
        return 0
    if args.table:
        print(table(read_runs(args.runs)))
        return 0
    if args.recipe is None:
        parser.error("--recipe or --table")
    overrides = {k: v for k, v in (("epochs", args.epochs), ("patience", args.patience)) if v is not None}
    if args.folds is not None and not 2 <= args.folds <= 10:
        parser.error("--folds must be 2 to 10")
    if args.fold and not args.folds:
        parser.error("--fold needs --folds")
    if args.fold_salt and not args.folds:
        parser.error("--fold_salt needs --folds")
    if args.fold_salt < 0:
        parser.error("--fold_salt must be 0 or more")
    if any(not 0 <= k < (args.folds or 0) for k in args.fold or ()):
        parser.error(f"--fold must be 0 to {(args.folds or 1) - 1}")
    if args.fold and len(set(args.fold)) < len(args.fold):
        parser.error("--fold names a fold twice")
    # A run takes minutes: where its result or model would go is checked before it starts.
    if args.runs.is_dir() or not args.runs.parent.is_dir():
        parser.error(f"--runs {args.runs}: not a file in an existing directory")
    if args.keep is not None and args.keep.exists() and not args.keep.is_dir():
        parser.error(f"--keep {args.keep}: not a directory")
    folds = ([Fold(k, args.folds, args.fold_salt) for k in (args.fold or range(args.folds))] if args.folds
             else [None])
    for seed, fold in ((seed, fold) for seed in args.seeds for fold in folds):
        with tempfile.TemporaryDirectory(prefix="twitch-mood-compare-") as work:
            result = run(args.recipe, seed, args.mlm, Path(work), fold, **overrides)
            if args.keep:
                kept = kept_dir(args.keep, args.recipe, seed, fold)
                shutil.copytree(Path(work) / "model", kept, dirs_exist_ok=True)
        with open(args.runs, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(result) + "\n")
        print(json.dumps({k: v for k, v in result.items() if "/" not in k or k.count("/") == 1}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
