"""Classification metrics: accuracy, macro-F1, per-class precision/recall/F1, confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mood.labels import LABELS


def classification_report(gold: Sequence[int], predicted: Sequence[int]) -> dict[str, Any]:
    """Metrics over label ids 0..2; the confusion matrix is rows = gold, columns = predicted."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    confusion = [[0] * len(LABELS) for _ in LABELS]
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    per_class: dict[str, dict[str, float | int]] = {}
    for k, name in enumerate(LABELS):
        tp = confusion[k][k]
        predicted_k = sum(row[k] for row in confusion)
        support = sum(confusion[k])
        precision = tp / predicted_k if predicted_k else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    n = len(gold)
    return {
        "n": n,
        "accuracy": sum(confusion[k][k] for k in range(len(LABELS))) / n if n else 0.0,
        "macro_f1": sum(c["f1"] for c in per_class.values()) / len(LABELS),
        "per_class": per_class,
        "confusion": {"labels": list(LABELS), "matrix": confusion},
    }


def format_report(report: dict[str, Any]) -> str:
    """A human-readable table of a classification_report."""
    lines = [f"n={report['n']}  accuracy={report['accuracy']:.3f}  macro-F1={report['macro_f1']:.3f}",
             "", f"{'class':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for name, c in report["per_class"].items():
        lines.append(f"{name:<10}{c['precision']:>10.3f}{c['recall']:>10.3f}{c['f1']:>10.3f}{c['support']:>10}")
    lines += ["", "confusion (rows gold, columns predicted):",
              " " * 10 + "".join(f"{name:>10}" for name in LABELS)]
    for name, row in zip(LABELS, report["confusion"]["matrix"], strict=True):
        lines.append(f"{name:<10}" + "".join(f"{v:>10}" for v in row))
    return "\n".join(lines)
