"""`twitch-mood train all`: MLM adaptation -> sentiment fine-tuning -> a shippable directory.

Intermediate stages go to `<out>.work/`; the final directory holds the classifier (fp16
safetensors unless `fp32`), its tokenizer and `training_report.json` with the MLM stage's report
nested in it.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.bases import SCRATCH_ROBERTA
from training.mlm import MlmArgs, train_mlm
from training.report import write_json
from training.sentiment import SentimentArgs, train_sentiment

log = logging.getLogger(__name__)

# MLM learning rate by start: random weights need larger steps than a pretrained encoder.
MLM_LR = {"scratch": 5e-4, "pretrained": 1e-4}


@dataclass
class PipelineArgs:
    """Arguments of `twitch-mood train all`."""

    base: str
    corpus: Path
    data: Path
    out: Path
    lexicon: Path | None = None
    mlm: bool = True
    mlm_steps: int = 1200
    fp16: bool = True
    seed: int = 0
    sentiment: dict[str, Any] = field(default_factory=dict)  # extra SentimentArgs fields


def start_kind(base: str) -> str:
    return "scratch" if base == SCRATCH_ROBERTA else "pretrained"


def save_half(directory: Path) -> None:
    """Rewrite a saved model's weights as fp16 safetensors (half the size; accuracy is checked
    by `twitch-mood eval`, which loads them back to fp32 on CPU)."""
    import torch
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(directory), dtype=torch.float32)
    model.half().save_pretrained(str(directory))


def run_pipeline(args: PipelineArgs) -> dict[str, Any]:
    started = time.monotonic()
    work = args.out.with_name(args.out.name + ".work")
    kind = start_kind(args.base)
    mlm_report = None
    sentiment_base = args.base
    if args.mlm:
        mlm_out = work / "mlm"
        mlm_report = train_mlm(MlmArgs(base=args.base, corpus=args.corpus, out=mlm_out,
                                       steps=args.mlm_steps, learning_rate=MLM_LR[kind], seed=args.seed))
        sentiment_base = str(mlm_out)
    sentiment_out = work / "sentiment"
    options = dict(args.sentiment)
    report = train_sentiment(SentimentArgs(
        base=sentiment_base, data=args.data, out=sentiment_out, lexicon=args.lexicon,
        weak_corpus=args.corpus if args.lexicon else None,
        corpus=args.corpus if sentiment_base == SCRATCH_ROBERTA else None, seed=args.seed, **options))

    if args.out.exists():
        shutil.rmtree(args.out)
    shutil.copytree(sentiment_out, args.out)
    if args.fp16:
        save_half(args.out)
    report["pipeline"] = {"base": args.base, "mlm": args.mlm, "weights": "fp16" if args.fp16 else "fp32",
                          "total_duration_s": round(time.monotonic() - started, 1)}
    report["mlm_stage"] = mlm_report
    write_json(args.out / "training_report.json", report)
    log.info("pipeline: %s in %.0f s", args.out, report["pipeline"]["total_duration_s"])
    return report


def summary(report: dict[str, Any]) -> str:
    """One line per split with the headline metrics."""
    lines = []
    for split, metrics in report.get("metrics", {}).items():
        lines.append(f"{split}: macro-F1 {metrics['macro_f1']:.3f}, accuracy {metrics['accuracy']:.3f} "
                     f"(n={metrics['n']})")
    if report.get("mlm_stage"):
        loss = report["mlm_stage"]["held_out_loss"]
        lines.append(f"MLM held-out loss {loss['before']:.3f} -> {loss['after']:.3f}")
    return "\n".join(lines) or json.dumps(report)[:200]
