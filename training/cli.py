"""`twitch-mood train mlm|sentiment|all` and `twitch-mood eval` (registered by bot/cli.py)."""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar, cast

from model.paths import shared_data_dir
from mood.errors import UsageError
from training.args import MlmArgs, PipelineArgs, SentimentArgs

T = TypeVar("T")


def _data(name: str) -> Path:
    return shared_data_dir() / name


def _parsed(cls: type[T], args: argparse.Namespace) -> T:
    """The dataclass from the options HfArgumentParser declared for it."""
    return cls(**{f.name: getattr(args, f.name) for f in fields(cls) if f.init})  # type: ignore[call-arg]


def cmd_train_mlm(args: argparse.Namespace) -> int:
    from training.mlm import train_mlm

    mlm_args = _parsed(MlmArgs, args)
    report = train_mlm(mlm_args)
    loss = report["held_out_loss"]
    print(f"saved {mlm_args.out}: held-out MLM loss {loss['before']:.3f} -> {loss['after']:.3f} "
          f"in {report['duration_s']:.0f} s")
    return 0


def cmd_train_sentiment(args: argparse.Namespace) -> int:
    from training.pipeline import summary
    from training.sentiment import train_sentiment

    sentiment = _parsed(SentimentArgs, args)
    report = train_sentiment(sentiment)
    print(f"saved {sentiment.out}\n{summary(report)}")
    return 0


def cmd_train_all(args: argparse.Namespace) -> int:
    from training.pipeline import run_pipeline, summary

    sentiment = _parsed(SentimentArgs, args)
    report = run_pipeline(_parsed(PipelineArgs, args), sentiment)
    print(f"saved {sentiment.out} in {report['pipeline']['total_duration_s']:.0f} s\n{summary(report)}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from training.evaluate import evaluate
    from training.metrics import format_report

    model = args.model or "default"
    if args.subsets:
        from training.evaluate import evaluate_subsets, format_subsets

        lexicon = args.lexicon or str(_data("emote_lexicon.csv"))
        subsets = evaluate_subsets(model, args.data, lexicon, split=args.split or "test",
                                   text_col=args.text_col, label_col=args.label_col, split_col=args.split_col,
                                   quantize=args.quantize, precision=args.precision, backend=args.backend)
        print(json.dumps(subsets) if args.json else
              f"{model} on {args.data}, split {subsets['split']}\n{format_subsets(subsets)}")
        return 0
    if args.lexicon is not None:
        raise UsageError("--lexicon is read only with --subsets (the lexicon-only classifier beside the "
                        "model)")
    report = evaluate(model, args.data, text_col=args.text_col, label_col=args.label_col,
                      split_col=args.split_col, split=args.split, quantize=args.quantize,
                      precision=args.precision, backend=args.backend)
    if args.json:
        print(json.dumps(report))
    else:
        print(f"{model} on {args.data}" + (f" (split {args.split})" if args.split else ""))
        print(format_report(report))
    return 0


def add_commands(sub: Any, shared: argparse.ArgumentParser, *, train_stages: bool = True) -> None:
    """Register `train` and `eval` on the top-level subparsers; `shared` holds the options every
    command takes (no --config: training and eval never read config.yaml). Without
    `train_stages`, `train` is listed but its stages are not built: their options come from
    HfArgumentParser, and importing transformers for it takes most of a second."""
    train = sub.add_parser("train", help="train the sentiment model (needs the [train] extra for 'minilm')")
    if train_stages:
        _add_train_stages(train, shared)
    _add_eval(sub, shared)


def _add_train_stages(train: argparse.ArgumentParser, shared: argparse.ArgumentParser) -> None:
    from transformers import HfArgumentParser

    train_sub = train.add_subparsers(dest="train_command", required=True, metavar="STAGE")

    # Each option, its default and its help come from the dataclass fields in training/args.py.
    stages = ((MlmArgs,), (SentimentArgs,), (SentimentArgs, PipelineArgs))
    for name, dataclasses, func, help_text in zip(
            ("mlm", "sentiment", "all"), stages, (cmd_train_mlm, cmd_train_sentiment, cmd_train_all),
            ("masked-LM adaptation on chat", "fine-tune the 3-class classifier",
             "mlm then sentiment: the shipped model with --seed 1 --mlm_seed 0"), strict=True):
        options = HfArgumentParser(cast(Any, dataclasses), add_help=False)
        stage = train_sub.add_parser(name, parents=[shared, options], help=help_text,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        stage.set_defaults(func=func)


def _split_name(value: str) -> str:
    """--split's value as the split column's values are read: in lower case; empty is refused."""
    if not value.strip():
        raise argparse.ArgumentTypeError("empty; name a split such as train, dev or test")
    return value.strip().lower()


def _add_eval(sub: Any, shared: argparse.ArgumentParser) -> None:
    columns = argparse.ArgumentParser(add_help=False)
    columns.add_argument("--text-col", default="text", help="text column (default: text)")
    columns.add_argument("--label-col", default="label",
                         help="label column: negative/neutral/positive or -1/0/1 (default: label)")
    columns.add_argument("--split-col",
                         help="split column: train/dev/test (default: split where the file has one, else "
                              "every row is test)")
    evaluation = sub.add_parser("eval", parents=[shared, columns], help="accuracy and F1 on a labeled CSV")
    evaluation.add_argument("--data", required=True, help="labeled CSV")
    evaluation.add_argument("--model", help="model directory (default: the shipped model)")
    evaluation.add_argument("--split", type=_split_name,
                            help="evaluate one split (rows of the split column); default all rows, with "
                                 "--subsets test")
    evaluation.add_argument("--quantize", choices=("auto", "on", "off"), default="auto",
                            help="as model.quantize: ONNX Runtime runs 8-bit weights unless off; on = int8 "
                                 "whatever the precision (torch's under --backend torch)")
    evaluation.add_argument("--backend", choices=("auto", "torch", "onnx"), default="auto",
                            help="as model.backend: auto = ONNX Runtime where fp32 would run on CPU, "
                                 "else torch")
    evaluation.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                            help="as model.precision: auto = on CPUs with native bf16 the faster of bf16 "
                                 "and fp32, timed at load; else fp32")
    evaluation.add_argument("--subsets", action="store_true",
                            help="macro-F1 on the split's subsets (version 1, unseen emotes, emote-only, "
                                 "unseen messages) beside the lexicon-only classifier")
    evaluation.add_argument("--lexicon", help="emote lexicon for --subsets (default: the shared one)")
    evaluation.add_argument("--json", action="store_true", help="print one JSON object")
    evaluation.set_defaults(func=cmd_eval)
