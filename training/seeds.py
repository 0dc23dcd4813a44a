"""What several trained models say side by side (the seeds of one recipe, say): macro-F1 per
split and labeled-set version, how often two of them give the same label, their averaged
probabilities, and class offsets chosen on dev and read on test. The lexicon-only classifier
is scored on the same rows, for comparison.

    python -m training.seeds DIR DIR DIR [--data CSV] [--lexicon CSV] [--json]

Everything goes through the runtime Scorer in fp32 (as `training.compare`).
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model.paths import shared_data_dir
from mood.errors import UsageError, one_line_errors
from training.data import LabeledSet, read_labeled
from training.evaluate import refuse_learned_dev
from training.metrics import classification_report
from training.subsets import version_rows

SPLITS = ("dev", "test")
# Offsets added to the negative and positive log-probabilities (neutral stays at 0).
OFFSETS = np.round(np.arange(-1.5, 1.501, 0.05), 2)


def macro_f1(gold: Sequence[int], predicted: Sequence[int]) -> float:
    """Macro-F1 over the three labels (training/metrics.py)."""
    return classification_report(list(gold), list(predicted))["macro_f1"]


def by_version(ids: Sequence[str], gold: Sequence[int], predicted: Sequence[int]) -> dict[str, float]:
    """Macro-F1 of the whole split and of its version-1 and version-2 rows (subsets.version_rows)."""
    result = {"all": macro_f1(gold, predicted)}
    for name, rows in version_rows(ids).items():
        if rows:
            result[name] = macro_f1([gold[k] for k in rows], [predicted[k] for k in rows])
    return result


def agreement(labels: Sequence[Sequence[int]]) -> float | None:
    """The mean share of messages that two of the label lists label alike (over every pair);
    None for fewer than two lists."""
    pairs = list(itertools.combinations(labels, 2))
    if not pairs:
        return None
    return float(np.mean([np.mean(np.asarray(a) == np.asarray(b)) for a, b in pairs]))


def dev_offsets(probs: np.ndarray, gold: Sequence[int]) -> tuple[float, float, float]:
    """The (negative, positive) offsets on the OFFSETS grid with the best dev macro-F1, and that
    macro-F1; among ties the one nearest (0, 0), so (0, 0) unless an offset does strictly better."""
    logs = np.log(probs + 1e-9)
    grid = sorted(itertools.product(OFFSETS, OFFSETS), key=lambda o: abs(o[0]) + abs(o[1]))
    best = (0.0, 0.0, macro_f1(gold, logs.argmax(1).tolist()))
    for negative, positive in grid:
        f1 = macro_f1(gold, with_offsets(probs, negative, positive))
        if f1 > best[2] + 1e-9:
            best = (float(negative), float(positive), f1)
    return best


def with_offsets(probs: np.ndarray, negative: float, positive: float) -> list[int]:
    """Labels after adding the offsets to the negative and positive log-probabilities."""
    return (np.log(probs + 1e-9) + np.array([negative, 0.0, positive])).argmax(1).tolist()


def probabilities(model: Path, labeled: LabeledSet) -> dict[str, np.ndarray]:
    from model.scorer import Scorer

    scorer = Scorer.load(str(model), quantize="off", precision="fp32")
    try:
        return {split: np.array([[s.negative, s.neutral, s.positive]
                                 for s in scorer.predict(labeled.split(split)[0])]) for split in SPLITS}
    finally:
        scorer.close()


def side_by_side(models: Sequence[Path], data: Path, lexicon: Path | None) -> dict[str, Any]:
    labeled = read_labeled(data)
    names = [model.name for model in models]
    if len(set(names)) < len(names):  # the results are keyed by name
        raise UsageError(f"two model directories share a name: {', '.join(names)}")
    for model in models:
        refuse_learned_dev(model, data, "and the offsets are chosen on dev; compare models trained with "
                                        "--no_fit_dev")
    probs = {model.name: probabilities(model, labeled) for model in models}
    result: dict[str, Any] = {"models": {}, "data": data.name}
    for name, p in probs.items():
        negative, positive, dev_f1 = dev_offsets(p["dev"], labeled.split("dev")[1])
        result["models"][name] = {
            **{split: by_version(labeled.ids[split], labeled.split(split)[1], p[split].argmax(1).tolist())
               for split in SPLITS},
            "offsets": {"negative": negative, "positive": positive, "dev": dev_f1,
                        "test": by_version(labeled.ids["test"], labeled.split("test")[1],
                                           with_offsets(p["test"], negative, positive))}}
    mean = {split: np.mean([p[split] for p in probs.values()], axis=0) for split in SPLITS}
    result["averaged"] = {split: by_version(labeled.ids[split], labeled.split(split)[1],
                                            mean[split].argmax(1).tolist()) for split in SPLITS}
    result["same_labels"] = {split: agreement([p[split].argmax(1).tolist() for p in probs.values()])
                             for split in SPLITS}
    if lexicon is not None:
        result["lexicon_only"] = lexicon_by_version(labeled, lexicon)
    return result


def lexicon_by_version(labeled: LabeledSet, lexicon: Path) -> dict[str, dict[str, float]]:
    """The lexicon-only classifier (threshold chosen on dev, as in `twitch-mood eval --subsets`)."""
    from mood.labels import LABELS
    from training.lexicon_baseline import fitted_baseline
    from training.subsets import read_lexicon_kinds

    classifier = fitted_baseline(read_lexicon_kinds(lexicon), labeled)
    return {split: by_version(labeled.ids[split], labeled.split(split)[1],
                              [LABELS.index(s.label) for s in classifier.predict(labeled.split(split)[0])])
            for split in SPLITS}


def format_side_by_side(result: dict[str, Any]) -> str:
    def cells(scores: dict[str, dict[str, float]]) -> str:
        return " ".join(f"{scores[s].get(v, float('nan')):>8.3f}"
                        for s in SPLITS for v in ("all", "version_1", "version_2"))

    head = " ".join(f"{s + ' ' + v:>8}" for s in SPLITS for v in ("all", "v1", "v2"))
    lines = [f"{'macro-F1':<40}{head}"]
    for name, entry in result["models"].items():
        lines.append(f"{name[-40:]:<40}{cells(entry)}")
    lines.append(f"{'probabilities averaged':<40}{cells(result['averaged'])}")
    if "lexicon_only" in result:
        lines.append(f"{'lexicon only':<40}{cells(result['lexicon_only'])}")
    same = result["same_labels"]
    lines.append("same label, two models: " + ", ".join(
        f"{s} {'-' if v is None else f'{v:.1%}'}" for s, v in same.items()))
    for name, entry in result["models"].items():
        offsets = entry["offsets"]
        lines.append(f"{name[-40:]}: offsets chosen on dev (negative {offsets['negative']:+.2f}, "
                     f"positive {offsets['positive']:+.2f}): dev {entry['dev']['all']:.3f} -> "
                     f"{offsets['dev']:.3f}, test {entry['test']['all']:.3f} -> {offsets['test']['all']:.3f}")
    return "\n".join(lines)


@one_line_errors("python -m training.seeds")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.seeds",
                                     description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("models", nargs="+", type=Path, metavar="DIR")
    parser.add_argument("--data", type=Path, default=shared_data_dir() / "labeled_2025.csv")
    parser.add_argument("--lexicon", type=Path, default=shared_data_dir() / "emote_lexicon.csv",
                        help="for the lexicon-only row ('' for none)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    lexicon = args.lexicon if str(args.lexicon) not in ("", ".") else None
    result = side_by_side(args.models, args.data, lexicon)
    print(json.dumps(result, indent=1) if args.json else format_side_by_side(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
