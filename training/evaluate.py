"""Evaluate a sentiment checkpoint on any labeled CSV through the runtime Scorer, so the figures
describe exactly what the bot runs (normalisation, truncation, quantisation)."""

from __future__ import annotations

import json
import logging
from pathlib import Path, PurePath
from typing import Any

from model.lexicon import Lexicon
from model.paths import file_sha256
from mood.labels import LABELS
from training.args import LABELS_DIR, fit_splits
from training.data import DataError, LabeledSet, new_rows, read_labeled, read_more_labeled
from training.metrics import classification_report

log = logging.getLogger(__name__)


def training_report(model: str | Path) -> dict[str, Any] | None:
    """A checkpoint's training_report.json (None where it has none); a one-line error where it
    cannot be read as one."""
    from model.checkpoint import resolve_source

    report_file = Path(resolve_source(model)[0]) / "training_report.json"
    if not report_file.is_file():
        return None
    try:
        report = json.loads(report_file.read_text(encoding="utf-8"))
    except ValueError as exc:  # not JSON, or not UTF-8
        raise DataError(f"{report_file}: not a readable training report ({exc})") from None
    if not isinstance(report, dict) or not all(isinstance(report.get(key, {}), dict)
                                               for key in ("hyperparameters", "data")):
        raise DataError(f"{report_file}: not a training report (hyperparameters and data must be objects)")
    return report


def dev_learned_from(model: str | Path) -> dict[str, Any] | None:
    """The labeled file (its report entry: path, sha256) whose dev split a checkpoint learned from
    (`--fit_dev`), or None."""
    report = training_report(model)
    if report is None or not report.get("hyperparameters", {}).get("fit_dev", False):
        return None
    return report.get("data", {})


def learned_dev(model: str | Path, data: str | Path | None = None) -> bool:
    """Whether a checkpoint learned from the dev split of the labeled file `data` (the same
    sha256) or, with no `data`, of whichever file it read."""
    learned = dev_learned_from(model)
    return learned is not None and (data is None or learned.get("sha256") == file_sha256(data))


def refuse_learned_dev(model: str | Path, data: str | Path | None, consequence: str) -> None:
    """A one-line error where `model` learned the dev split that would be read as unseen."""
    if learned_dev(model, data):
        raise DataError(f"{model} was trained on the dev split (--fit_dev), {consequence}")


def check_dev_split(model: str | Path, data: str | Path) -> None:
    """Before scoring `model` on the dev split of `data`: refused where it learned that very split;
    a warning where it learned the dev split of another file, since a copy or a part of that file
    (another sha256) holds messages it learned."""
    learned = dev_learned_from(model)
    if learned is None:
        return
    if learned.get("sha256") == file_sha256(data):
        raise DataError(f"{model} was trained on the dev split (--fit_dev), so its figures there say "
                        f"nothing; evaluate it on test")
    log.warning("%s learned the dev split of %s (--fit_dev): where these dev rows come from it, the "
                "figures say nothing", model, learned.get("path", "another labeled file"))


def fitted_splits(model: str | Path, data: str | Path) -> tuple[str, ...]:
    """The splits of the labeled file `data` that `model` learned from."""
    return fit_splits(learned_dev(model, data))


def more_labeled_entries(report: dict[str, Any]) -> list[dict[str, Any]]:
    """A training report's more-labeled files (`more_labeled`), as a list: reports written before a
    second draw was labeled hold one file's entry alone."""
    entries = report.get("more_labeled") or []
    return [entries] if isinstance(entries, dict) else list(entries)


def learned_more(model: str | Path, data: str | Path, labeled: LabeledSet) -> list[str]:
    """The messages a checkpoint learned beside the labeled file (its report's `more_labeled`:
    files of training/labels/, joined to its train split), for the evaluation subsets. Scored on
    the file it trained with, the rows it left out as that file's messages are not among them; on
    another file, every row is. Where the report names a file that training/labels/ does not hold
    as it was, a warning, and none of its rows: reports name files, not their place."""
    report = training_report(model) or {}
    same_data = report.get("data", {}).get("sha256") == file_sha256(data)
    learned: list[str] = []
    for entry in more_labeled_entries(report):
        path = LABELS_DIR / PurePath(str(entry.get("path"))).name
        if not path.is_file() or entry.get("sha256") != file_sha256(path):
            log.warning("%s also learned from %s, which %s/ does not hold as it was: its messages count "
                        "as unseen", model, entry.get("path"), LABELS_DIR.name)
            continue
        rows = new_rows(labeled, path)[0] if same_data else read_more_labeled(path)
        learned += rows.texts["train"]
    return learned


def learned_tokens(model: str | Path, lexicon: Lexicon) -> list[str]:
    """The lexicon's tokens where the checkpoint learned each alone as an example (its report's
    `lexicon_tokens`), else none."""
    report = training_report(model) or {}
    return sorted(lexicon.entries) if report.get("hyperparameters", {}).get("lexicon_tokens") else []


def warn_learned_rows(model: str | Path, data: str | Path) -> None:
    """Before scoring every row of `data`: a warning where `model` was trained on this very file
    (its report's sha256), so that some of the rows are ones it learned."""
    report = training_report(model)
    if report is None or report.get("data", {}).get("sha256") != file_sha256(data):
        return
    learned = fit_splits(bool(report.get("hyperparameters", {}).get("fit_dev", False)))
    log.warning("%s was trained on the %s rows of %s, and they are scored too: these figures are not "
                "held out (--split test is)", model, " and ".join(learned), data)


def evaluate(model: str | Path, data: str | Path, *, text_col: str = "text", label_col: str = "label",
             split_col: str | None = None, split: str | None = None, quantize: str = "auto",
             precision: str = "auto", backend: str = "auto", device: str = "auto",
             max_length: int = 64) -> dict[str, Any]:
    """Metrics of `model` on `data` (one split, or every row when `split` is None); quantize,
    precision and backend as the `model` settings of config.yaml, defaults included."""
    from model.scorer import Scorer

    labeled = read_labeled(data, text_col=text_col, label_col=label_col, split_col=split_col)
    if split is None:
        texts = [t for name in labeled.texts for t in labeled.texts[name]]
        gold = [y for name in labeled.labels for y in labeled.labels[name]]
        warn_learned_rows(model, data)
    else:
        labeled.require(split)
        texts, gold = labeled.split(split)
        if split == "dev":
            check_dev_split(model, data)
    scorer = Scorer.load(model, device=device, quantize=quantize, precision=precision, backend=backend,
                         max_length=max_length)
    predicted = [LABELS.index(score.label) for score in scorer.predict(texts)]
    report = classification_report(gold, predicted)
    report.update({"model": str(model), "data": str(data), "split": split, "quantized": scorer.quantized,
                   "precision": scorer.precision, "backend": scorer.backend})
    return report


def evaluate_subsets(model: str | Path, data: str | Path, lexicon: str | Path, *, split: str = "test",
                     text_col: str = "text", label_col: str = "label", split_col: str | None = None,
                     quantize: str = "auto", precision: str = "auto",
                     backend: str = "auto") -> dict[str, Any]:
    """The model and the lexicon-only classifier side by side on `split` and its subsets (all,
    version 1, unseen emotes, emote-only, unseen messages; training/subsets.py). The lexicon's
    threshold is chosen on dev."""
    from model.scorer import Scorer
    from training.lexicon_baseline import fitted_baseline
    from training.subsets import evaluation_subsets, read_lexicon_kinds

    labeled = read_labeled(data, text_col=text_col, label_col=label_col, split_col=split_col)
    labeled.require(split)
    if split == "dev":
        check_dev_split(model, data)
    fitted = fitted_splits(model, data)
    learned = learned_more(model, data, labeled)  # before the scoring, which takes a while
    emotes = read_lexicon_kinds(lexicon)
    baseline = fitted_baseline(emotes, labeled)
    texts, gold = labeled.split(split)
    scorer = Scorer.load(model, quantize=quantize, precision=precision, backend=backend)
    predicted = {"model": [LABELS.index(s.label) for s in scorer.predict(texts)],
                 "lexicon": [LABELS.index(s.label) for s in baseline.predict(texts)]}
    subsets = {}
    for name, rows in evaluation_subsets(labeled, split, emotes, fitted, learned,
                                         learned_tokens(model, emotes)).items():
        subset_gold = [gold[i] for i in rows]
        subsets[name] = {"n": len(rows), **{
            who: classification_report(subset_gold, [labels[i] for i in rows]) if rows else None
            for who, labels in predicted.items()}}
    return {"model": str(model), "data": str(data), "split": split, "lexicon_threshold": baseline.threshold,
            "lexicon_threshold_from": "dev" if labeled.texts.get("dev") else "default",
            "ids": labeled.id_column is not None, "subsets": subsets}


def format_subsets(report: dict[str, Any]) -> str:
    """Macro-F1 of the model and the lexicon per subset, with the margin."""
    lines = [f"{'subset':<15}{'n':>6}{'model':>9}{'lexicon':>9}{'margin':>9}"]
    for name, entry in report["subsets"].items():
        if entry["model"] is None:
            lines.append(f"{name:<15}{0:>6}{'-':>9}{'-':>9}{'-':>9}")
            continue
        model, lexicon = entry["model"]["macro_f1"], entry["lexicon"]["macro_f1"]
        lines.append(f"{name:<15}{entry['n']:>6}{model:>9.3f}{lexicon:>9.3f}{model - lexicon:>+9.3f}")
    chosen = ("chosen on dev" if report["lexicon_threshold_from"] == "dev"
              else "the default: this file has no dev rows")
    lines.append(f"(macro-F1; lexicon-only threshold {report['lexicon_threshold']:g}, {chosen})")
    if not report["ids"]:
        lines.append("(version_1 and version_2 read the id column, ids like l00123; this file has none)")
    return "\n".join(lines)
