"""`twitch-mood train all`: MLM adaptation -> sentiment fine-tuning [-> a distilled student,
`--distill_layers`] -> a shippable directory.

Intermediate stages go to `<out>.work/`; the final directory holds the classifier (fp16
safetensors unless `fp32`), its tokenizer and `training_report.json` with the MLM stage's report
nested in it.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from mood.errors import UsageError
from training.args import DistillArgs, MlmArgs, PipelineArgs, SentimentArgs
from training.data import DataError, read_labeled
from training.mlm import train_mlm
from training.report import base_name, write_json
from training.sentiment import train_sentiment

log = logging.getLogger(__name__)

def save_half(directory: Path) -> None:
    """Rewrite a saved model's weights as fp16 safetensors (half the size; accuracy is checked
    by `twitch-mood eval`, which loads them back to fp32 on CPU)."""
    import torch
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(directory), dtype=torch.float32)
    model.half().save_pretrained(str(directory))


def check_distill_stage(args: PipelineArgs, sentiment: SentimentArgs) -> None:
    """Refuse a distillation stage that could only fail after the long stages before it."""
    from transformers import AutoConfig

    from training.bases import resolve_base
    from training.distill import check_compared_splits, check_layers

    if sentiment.corpus is None:
        raise DataError("the distillation stage needs a corpus (--corpus)")
    if sentiment.fit_dev:
        raise UsageError("the distillation stage compares the student with its teacher on dev, which "
                         "--fit_dev trains the teacher on; add --no_fit_dev")
    check_compared_splits(read_labeled(sentiment.data))  # the distillation stage reads the file as it is
    base = resolve_base(sentiment.base)
    if Path(base).is_dir():
        check_layers(args.distill_layers, AutoConfig.from_pretrained(base).num_hidden_layers)


def distill_stage(args: PipelineArgs, sentiment: SentimentArgs, *, teacher: Path,
                  out: Path) -> dict[str, Any]:
    """A student of the fine-tuned `teacher` with `args.distill_layers` of its layers, in `out`."""
    from training.distill import distill

    assert sentiment.corpus is not None  # check_distill_stage
    epochs = {} if args.distill_epochs is None else {"epochs": args.distill_epochs}
    report = distill(DistillArgs(
        out=out, teacher=teacher, layers=args.distill_layers, corpus=sentiment.corpus, data=sentiment.data,
        max_length=sentiment.max_length, seed=sentiment.seed, **epochs))
    (out / "distill_report.json").unlink()  # nested in the pipeline's report instead
    return report


def run_pipeline(args: PipelineArgs, sentiment: SentimentArgs) -> dict[str, Any]:
    """MLM from `sentiment.base` on `sentiment.corpus`, then fine-tuning, into `sentiment.out`."""
    started = time.monotonic()
    if args.distill_layers:
        check_distill_stage(args, sentiment)
    out = sentiment.out
    work = out.with_name(out.name + ".work")
    mlm_report = None
    sentiment_base = sentiment.base
    if not args.no_mlm:
        if sentiment.corpus is None:
            raise DataError("the MLM stage needs a corpus (--corpus)")
        mlm_out = work / "mlm"
        mlm_seed = sentiment.seed if args.mlm_seed is None else args.mlm_seed
        mlm_report = train_mlm(MlmArgs(
            base=sentiment.base, corpus=sentiment.corpus, out=mlm_out, steps=args.mlm_steps, seed=mlm_seed,
            stream=args.mlm_stream, emote_weight=args.mlm_emote_weight, emote_tokens=sentiment.emote_tokens,
            lexicon=sentiment.lexicon))
        sentiment_base = str(mlm_out)
    sentiment_out = work / "sentiment"
    report = train_sentiment(replace(sentiment, base=sentiment_base, out=sentiment_out))
    shipped, distill_report = sentiment_out, None
    if args.distill_layers:
        distill_report = distill_stage(args, sentiment, teacher=sentiment_out, out=work / "student")
        shipped = work / "student"

    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(shipped, out)
    if not args.fp32:
        save_half(out)
    report["pipeline"] = {"base": base_name(sentiment.base), "mlm": not args.no_mlm,
                          "weights": "fp32" if args.fp32 else "fp16",
                          "total_duration_s": round(time.monotonic() - started, 1)}
    report["mlm_stage"] = mlm_report
    if distill_report is not None:  # the metrics describe what is shipped: the student
        report["fine_tuned_metrics"] = report["metrics"]
        report["metrics"] = distill_report.pop("metrics")
        report["distill_stage"] = distill_report
    write_json(out / "training_report.json", report)
    log.info("pipeline: %s in %.0f s", out, report["pipeline"]["total_duration_s"])
    return report


def summary(report: dict[str, Any]) -> str:
    """One line per split with the headline metrics."""
    lines = []
    for split, metrics in report.get("metrics", {}).items():
        lines.append(f"{split}: macro-F1 {metrics['macro_f1']:.3f}, accuracy {metrics['accuracy']:.3f} "
                     f"(n={metrics['n']})")
    for split, compared in (report.get("distill_stage") or {}).get("compared", {}).items():
        lines.append(f"{split}: student macro-F1 {compared['student']:.3f} against the fine-tuned model's "
                     f"{compared['teacher']:.3f}, {compared['same_labels']:.1%} of its labels")
    if report.get("mlm_stage"):
        loss = report["mlm_stage"]["held_out_loss"]
        lines.append(f"MLM held-out loss {loss['before']:.3f} -> {loss['after']:.3f}")
    return "\n".join(lines) or "no split left to score (the model learned every split the data has)"
