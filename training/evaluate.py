"""Evaluate a sentiment checkpoint on any labeled CSV through the runtime Scorer, so the figures
describe exactly what the bot runs (normalisation, truncation, quantisation)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mood.labels import LABELS
from training.data import DataError, read_labeled
from training.metrics import classification_report


def evaluate(model: str | Path, data: str | Path, *, text_col: str = "text", label_col: str = "label",
             split_col: str = "split", split: str | None = None, quantize: str = "auto",
             precision: str = "auto", device: str = "auto", max_length: int = 64) -> dict[str, Any]:
    """Metrics of `model` on `data` (one split, or every row when `split` is None)."""
    from model.scorer import Scorer

    labeled = read_labeled(data, text_col=text_col, label_col=label_col, split_col=split_col)
    if split is None:
        texts = [t for name in labeled.texts for t in labeled.texts[name]]
        gold = [y for name in labeled.labels for y in labeled.labels[name]]
    else:
        if split not in labeled.texts:
            raise DataError(f"{data}: no rows in split {split!r} (splits: {', '.join(labeled.texts)})")
        texts, gold = labeled.split(split)
    scorer = Scorer.load(model, device=device, quantize=quantize, precision=precision, max_length=max_length)
    predicted = [LABELS.index(score.label) for score in scorer.predict(texts)]
    report = classification_report(gold, predicted)
    report.update({"model": str(model), "data": str(data), "split": split, "quantized": scorer.quantized,
                   "precision": scorer.precision})
    return report
