"""`twitch-mood train mlm|sentiment|all` and `twitch-mood eval` (registered by bot/cli.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from model.paths import shared_data_dir
from training.bases import MINILM


def _data(name: str) -> Path:
    return shared_data_dir() / name


def cmd_train_mlm(args: argparse.Namespace) -> int:
    from training.mlm import MlmArgs, train_mlm

    report = train_mlm(MlmArgs(base=args.base, corpus=Path(args.corpus), out=Path(args.out),
                               steps=args.steps, batch_size=args.batch_size,
                               learning_rate=args.lr, seed=args.seed, limit=args.limit))
    loss = report["held_out_loss"]
    print(f"saved {args.out}: held-out MLM loss {loss['before']:.3f} -> {loss['after']:.3f} "
          f"in {report['duration_s']:.0f} s")
    return 0


def _sentiment_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"text_col": args.text_col, "label_col": args.label_col, "epochs": args.epochs,
            "batch_size": args.batch_size, "class_weights": args.class_weights,
            "lexicon_tokens": args.lexicon_tokens, "weak_limit": args.weak_limit}


def cmd_train_sentiment(args: argparse.Namespace) -> int:
    from training.pipeline import summary
    from training.sentiment import SentimentArgs, train_sentiment

    options = _sentiment_options(args)
    if args.lr is not None:
        options["learning_rate"] = args.lr
    report = train_sentiment(SentimentArgs(
        base=args.base, data=Path(args.data), out=Path(args.out),
        lexicon=Path(args.lexicon) if args.lexicon else None,
        weak_corpus=Path(args.corpus), corpus=Path(args.corpus), seed=args.seed, **options))
    print(f"saved {args.out}\n{summary(report)}")
    return 0


def cmd_train_all(args: argparse.Namespace) -> int:
    from training.pipeline import PipelineArgs, run_pipeline, summary

    options = _sentiment_options(args)
    if args.lr is not None:
        options["learning_rate"] = args.lr
    report = run_pipeline(PipelineArgs(
        base=args.base, corpus=Path(args.corpus), data=Path(args.data), out=Path(args.out),
        lexicon=Path(args.lexicon) if args.lexicon else None, mlm=not args.no_mlm,
        mlm_steps=args.mlm_steps, fp16=not args.fp32, seed=args.seed, sentiment=options))
    print(f"saved {args.out} in {report['pipeline']['total_duration_s']:.0f} s\n{summary(report)}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from training.evaluate import evaluate
    from training.metrics import format_report

    model = args.model or "default"
    if args.subsets:
        from training.evaluate import evaluate_subsets, format_subsets

        subsets = evaluate_subsets(model, args.data, args.lexicon, split=args.split or "test",
                                   quantize=args.quantize, precision=args.precision)
        print(json.dumps(subsets) if args.json else
              f"{model} on {args.data}, split {subsets['split']}\n{format_subsets(subsets)}")
        return 0
    report = evaluate(model, args.data, text_col=args.text_col, label_col=args.label_col,
                      split=args.split, quantize=args.quantize, precision=args.precision)
    if args.json:
        print(json.dumps(report))
    else:
        print(f"{model} on {args.data}" + (f" (split {args.split})" if args.split else ""))
        print(format_report(report))
    return 0


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register `train` and `eval` on the top-level subparsers."""
    train = sub.add_parser("train", help="train the sentiment model (needs the [train] extra for 'minilm')")
    train_sub = train.add_subparsers(dest="train_command", required=True, metavar="STAGE")

    columns = argparse.ArgumentParser(add_help=False)
    columns.add_argument("--text-col", default="text", help="text column (default: text)")
    columns.add_argument("--label-col", default="label",
                         help="label column: negative/neutral/positive or -1/0/1 (default: label)")

    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--corpus", default=str(_data("chat_corpus_2025.txt")),
                        help="unlabeled chat, one message per line (default: the shared corpus)")
    shared.add_argument("--seed", type=int, default=0)

    classify = argparse.ArgumentParser(add_help=False, parents=[columns])
    classify.add_argument("--data", default=str(_data("labeled_2025.csv")),
                          help="labeled CSV with a split column train/dev/test (default: shared labeled set)")
    classify.add_argument("--epochs", type=int, default=8, help="most epochs; early stopping on dev")
    classify.add_argument("--batch-size", type=int, default=32)
    classify.add_argument("--lr", type=float, default=None, help="learning rate (default 1e-4)")
    classify.add_argument("--class-weights", choices=("none", "balanced", "sqrt"), default="sqrt")
    classify.add_argument("--lexicon", default=str(_data("emote_lexicon.csv")),
                          help="emote/slang lexicon for lexicon-labeled examples ('' for none)")
    classify.add_argument("--no-lexicon-tokens", dest="lexicon_tokens", action="store_false",
                          help="do not add each lexicon token as an example")
    classify.add_argument("--weak-limit", type=int, default=1000,
                          help="most lexicon-labeled corpus messages to add (0: none)")

    mlm = train_sub.add_parser("mlm", parents=[common, shared], help="masked-LM adaptation on chat")
    mlm.add_argument("--base", required=True, help=f"model dir, hub name, '{MINILM}' or 'scratch:roberta'")
    mlm.add_argument("--out", required=True, help="output directory")
    mlm.add_argument("--steps", type=int, default=1200)
    mlm.add_argument("--batch-size", type=int, default=32, help="blocks of 64 tokens per step")
    mlm.add_argument("--lr", type=float, default=1e-4)
    mlm.add_argument("--limit", type=int, default=None, help="read only the first N corpus lines")
    mlm.set_defaults(func=cmd_train_mlm)

    sentiment = train_sub.add_parser("sentiment", parents=[common, shared, classify],
                                     help="fine-tune the 3-class classifier")
    sentiment.add_argument("--base", required=True, help="model dir (e.g. the mlm output), hub name, "
                                                         f"'{MINILM}' or 'scratch:roberta'")
    sentiment.add_argument("--out", required=True, help="output directory")
    sentiment.set_defaults(func=cmd_train_sentiment)

    everything = train_sub.add_parser("all", parents=[common, shared, classify],
                                      help="mlm then sentiment: reproduces the shipped model")
    everything.add_argument("--base", default=MINILM, help=f"start (default: {MINILM}; or scratch:roberta)")
    everything.add_argument("--out", required=True, help="output directory, e.g. model/default")
    everything.add_argument("--no-mlm", action="store_true", help="skip the MLM stage (for comparison)")
    everything.add_argument("--mlm-steps", type=int, default=1200)
    everything.add_argument("--fp32", action="store_true", help="save fp32 weights (default fp16)")
    everything.set_defaults(func=cmd_train_all)

    evaluation = sub.add_parser("eval", parents=[common, columns], help="accuracy and F1 on a labeled CSV")
    evaluation.add_argument("--data", required=True, help="labeled CSV")
    evaluation.add_argument("--model", help="model directory (default: the shipped model)")
    evaluation.add_argument("--split", help="evaluate one split (rows of the split column); default all rows")
    evaluation.add_argument("--quantize", choices=("auto", "on", "off"), default="auto",
                            help="as model.quantize: on = int8 feed-forward layers (CPU); auto = fp32")
    evaluation.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                            help="as model.precision: auto = bf16 on CPUs with native bf16, else fp32")
    evaluation.add_argument("--subsets", action="store_true",
                            help="macro-F1 on the split's subsets (version 1, unseen emotes, emote-only) "
                                 "beside the lexicon-only classifier")
    evaluation.add_argument("--lexicon", default=str(_data("emote_lexicon.csv")),
                            help="emote lexicon for --subsets (default: the shared one)")
    evaluation.add_argument("--json", action="store_true", help="print one JSON object")
    evaluation.set_defaults(func=cmd_eval)
