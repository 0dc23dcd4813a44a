"""Fine-tune a 3-class sentiment classifier (negative, neutral, positive) with Trainer.

Training rows come from the labeled CSV's train split, optionally joined by lexicon-labeled
examples (`training/weak.py`). Each epoch is evaluated on the dev split; the best epoch by dev
macro-F1 is kept and training stops early when dev stops improving. After the choice on dev,
`fit_dev` trains on train and dev together for the chosen number of epochs, and only test is
left to report. The saved directory loads with `from_pretrained` and carries
`training_report.json`.
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model.encoding import ChatEncoder
from model.fusion import LexiconFusion
from model.lexicon import CUSTOM, LEXICON_FILE, Lexicon
from model.machine import machine_info
from model.paths import file_sha256
from model.precision import native_bf16
from model.text import normalize
from model.tokenizer import train_bpe_tokenizer
from mood.errors import UsageError
from mood.labels import LABELS
from training.args import SentimentArgs
from training.augment import invented_examples, swapped_examples
from training.bases import SCRATCH_ROBERTA, ScratchShape, resolve_base, scratch_roberta
from training.data import DataError, join_more_labeled, read_corpus, read_labeled
from training.evaluate import refuse_learned_dev
from training.metrics import classification_report
from training.optimizer import WeightAverage, optimizer
from training.pseudo import pseudo_examples, teacher_identity
from training.report import base_name, portable, write_json
from training.subsets import read_lexicon_kinds
from training.vocab import add_emote_tokens
from training.weak import corpus_examples, read_lexicon, token_examples

log = logging.getLogger(__name__)


class EncodedSet(torch.utils.data.Dataset):
    """Texts through the runtime's text path (`ChatEncoder`), with labels, for Trainer."""

    def __init__(self, encoder: ChatEncoder, texts: list[str], labels: list[int],
                 entries: Sequence[Mapping[str, float] | None] | None = None) -> None:
        """`entries[i]`, where given: lexicon rows that text i is read with on top of the encoder's
        lexicon, as a streamer's `model.emotes` CSV would add them (training/augment.py)."""
        self.encoded = encoder.encode(texts)
        self.labels = labels
        features = self.encoded.features
        if entries and encoder.lexicon is not None and features is not None:
            for i, own in enumerate(entries):
                if own:  # one merged lexicon at a time: a copy of the lexicon per text would not fit
                    own_lexicon = encoder.lexicon.merged(Lexicon({t: (CUSTOM, v) for t, v in own.items()}))
                    own_encoded = encoder.encode([texts[i]], [own_lexicon])
                    assert own_encoded.features is not None
                    self.encoded.input_ids[i], features[i] = own_encoded.input_ids[0], own_encoded.features[0]

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, Any]:
        ids = self.encoded.input_ids[i]
        item = {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": self.labels[i]}
        if self.encoded.features is not None:
            item["lexicon_features"] = self.encoded.features[i]
        return item


def class_weight_vector(labels: list[int], mode: str) -> torch.Tensor | None:
    """Inverse-frequency weights (`balanced`), their square root (`sqrt`), or None."""
    if mode == "none":
        return None
    counts = np.bincount(labels, minlength=len(LABELS)).astype(float)
    weights = len(labels) / (len(LABELS) * np.maximum(counts, 1))
    if mode == "sqrt":
        weights = np.sqrt(weights)
    elif mode != "balanced":
        raise UsageError(f"class_weights must be none, balanced or sqrt, got {mode!r}")
    return torch.tensor(weights, dtype=torch.float)


def load_classifier(args: SentimentArgs) -> tuple[Any, Any]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    label2id = {name: i for i, name in enumerate(LABELS)}
    id2label = dict(enumerate(LABELS))
    if args.base == SCRATCH_ROBERTA:
        if args.corpus is None:
            raise DataError("base scratch:roberta needs --corpus to train its tokenizer on")
        from transformers import RobertaForSequenceClassification

        texts = list(dict.fromkeys(normalize(t) for t in read_corpus(args.corpus)))
        tokenizer = train_bpe_tokenizer(texts, args.out, ScratchShape.vocab_size,
                                        model_max_length=ScratchShape.max_position_embeddings - 2)
        config = scratch_roberta(tokenizer, ScratchShape()).config
        config.update({"num_labels": 3, "id2label": id2label, "label2id": label2id})
        return tokenizer, RobertaForSequenceClassification(config)
    source = resolve_base(args.base)
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModelForSequenceClassification.from_pretrained(
        source, num_labels=3, id2label=id2label, label2id=label2id)
    return tokenizer, model


def training_examples(args: SentimentArgs, data: Any) -> tuple[list[str], list[int], dict[str, int]]:
    texts, labels = data.splits(args.fit_splits())
    added = {"labeled": len(texts)}
    every_labeled = [t for split in data.texts.values() for t in split]  # never a corpus example
    corpus: list[str] | None = None  # read once, by the first source that needs it
    if args.lexicon is not None and (args.lexicon_tokens or args.weak_limit):
        lexicon = read_lexicon(args.lexicon)
        if args.lexicon_tokens:
            extra_texts, extra_labels = token_examples(lexicon)
            texts += extra_texts
            labels += extra_labels
            added["lexicon_tokens"] = len(extra_texts)
        if args.weak_limit and args.corpus is not None:
            corpus = read_corpus(args.corpus)
            extra_texts, extra_labels = corpus_examples(corpus, lexicon, every_labeled, args.weak_limit,
                                                        args.seed)
            texts += extra_texts
            labels += extra_labels
            added["weak_corpus"] = len(extra_texts)
    if args.teacher is not None and args.teacher_examples:
        if args.corpus is None:
            raise DataError("self-training (--teacher) needs --corpus to label")
        if not args.fit_dev:
            refuse_learned_dev(args.teacher, None, "so its labels would carry dev into a run that chooses "
                                                   "on dev; use a teacher trained with --no_fit_dev")
        extra_texts, extra_labels = pseudo_examples(
            args.teacher, corpus if corpus is not None else read_corpus(args.corpus), every_labeled,
            args.teacher_examples, args.teacher_confidence, args.seed)
        texts += extra_texts
        labels += extra_labels
        added["teacher_labeled"] = len(extra_texts)
    if args.lexicon is not None and args.emote_swaps:
        train_texts, train_labels = data.splits(args.fit_splits())
        extra_texts, extra_labels = swapped_examples(
            train_texts, train_labels, read_lexicon_kinds(args.lexicon), args.emote_swaps, args.seed)
        texts += extra_texts
        labels += extra_labels
        added["emote_swaps"] = len(extra_texts)
    return texts, labels, added


def length_grouping(enabled: bool) -> dict[str, Any]:
    """TrainingArguments' option for length-grouped batches, where asked for: `train_sampling_strategy`
    from transformers 5.2 on, the boolean `group_by_length` before it."""
    from transformers import TrainingArguments

    if not enabled:
        return {}
    if "train_sampling_strategy" in TrainingArguments.__dataclass_fields__:
        return {"train_sampling_strategy": "group_by_length"}
    return {"group_by_length": True}


def train_sentiment(args: SentimentArgs) -> dict[str, Any]:
    """Fine-tune (keeping the best dev epoch, or with `fit_dev` every epoch on train and dev), save
    model + tokenizer + training_report.json."""
    from transformers import (
        DataCollatorWithPadding,
        EarlyStoppingCallback,
        Trainer,
        TrainingArguments,
        set_seed,
    )

    started = time.monotonic()
    set_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    data = read_labeled(args.data, text_col=args.text_col, label_col=args.label_col,
                        split_col=args.split_col)
    for needed in ("train", "dev"):
        data.require(needed)
    sizes = data.sizes()
    # Each file's rows after the labeled file's and the earlier files': none is a message twice.
    more = [join_more_labeled(data, path, [p.name for p in args.more_labeled[:i]])
            for i, path in enumerate(args.more_labeled)] or None
    tokenizer, model = load_classifier(args)
    added_tokens = 0
    if args.emote_tokens:
        if args.lexicon is None:
            raise DataError("emote tokens need a lexicon (--lexicon)")
        added_tokens = add_emote_tokens(tokenizer, model, args.lexicon)
        log.info("sentiment: %d emote tokens added to the tokenizer", added_tokens)
    lexicon = None
    if args.lexicon_features:
        if args.lexicon is None:
            raise DataError("lexicon features need a lexicon (--lexicon)")
        lexicon = read_lexicon_kinds(args.lexicon)
        model = LexiconFusion(model)
    encoder = ChatEncoder(tokenizer, args.max_length, lexicon)
    texts, labels, sources = training_examples(args, data)
    entries: list[dict[str, float] | None] = [None] * len(texts)
    if lexicon is None and args.invented_emotes:
        log.warning("sentiment: --invented_emotes needs --lexicon_features (only lexicon features explain an "
                    "invented emote); none added")
    if lexicon is not None and args.invented_emotes:
        extra_texts, extra_labels, extra_entries = invented_examples(
            *data.splits(args.fit_splits()), lexicon, args.invented_emotes, emote_words=encoder.emote_words,
            seed=args.seed)
        texts, labels, entries = texts + extra_texts, labels + extra_labels, entries + extra_entries
        sources["invented_emotes"] = len(extra_texts)
    train_set = EncodedSet(encoder, texts, labels, entries)
    # Dev picks the best epoch and stops early, unless the model learns from it too (fit_dev).
    dev_set = None if args.fit_dev else EncodedSet(encoder, *data.split("dev"))
    weights = class_weight_vector(labels, args.class_weights)

    def compute_metrics(prediction: Any) -> dict[str, float]:
        report = classification_report(list(prediction.label_ids), list(prediction.predictions.argmax(-1)))
        return {"macro_f1": report["macro_f1"], "accuracy": report["accuracy"]}

    def compute_loss(outputs: Any, labels: torch.Tensor, num_items_in_batch: Any = None) -> torch.Tensor:
        logits = outputs["logits"]
        return torch.nn.functional.cross_entropy(
            logits, labels, weight=None if weights is None else weights.to(logits.device),
            label_smoothing=args.label_smoothing)

    steps_per_epoch = math.ceil(len(train_set) / args.batch_size)
    cuda = torch.cuda.is_available()
    cpu_bf16 = args.bf16 and not cuda and native_bf16()  # with CUDA, fp16
    if args.bf16 and not cuda and not cpu_bf16:
        log.info("sentiment: fine-tuning in fp32: this CPU has no native bf16 (avx512_bf16 or AMX)")
    checkpoints = Path(tempfile.mkdtemp(prefix="twitch-mood-sentiment-"))
    per_epoch = "no" if dev_set is None else "epoch"  # dev evaluated, the best epoch kept
    training_args = TrainingArguments(
        output_dir=str(checkpoints), num_train_epochs=args.epochs,
        per_device_train_batch_size=args.batch_size, per_device_eval_batch_size=128,
        **length_grouping(args.group_by_length),
        learning_rate=args.learning_rate, warmup_steps=math.ceil(0.1 * steps_per_epoch * args.epochs),
        eval_strategy=per_epoch, save_strategy=per_epoch, save_total_limit=1,
        load_best_model_at_end=dev_set is not None, metric_for_best_model="macro_f1",
        greater_is_better=True,
        logging_strategy="epoch", report_to=[], seed=args.seed, fp16=cuda, bf16=cpu_bf16, use_cpu=cpu_bf16,
        disable_tqdm=True, dataloader_num_workers=0, dataloader_pin_memory=cuda,
    )
    callbacks: list[Any] = [] if dev_set is None else [
        EarlyStoppingCallback(early_stopping_patience=args.patience)]
    if args.ema_decay:
        callbacks.append(WeightAverage(model, args.ema_decay))
    trainer = Trainer(
        model=model, args=training_args, train_dataset=train_set, eval_dataset=dev_set,
        data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=compute_metrics,
        compute_loss_func=compute_loss, optimizers=(optimizer(model, args), None), callbacks=callbacks,
    )
    trainer.train()
    shutil.rmtree(checkpoints, ignore_errors=True)

    metrics = {}
    for split in ("dev", "test"):
        split_texts, split_labels = data.split(split)
        if split_texts and split not in args.fit_splits():
            output = trainer.predict(EncodedSet(encoder, split_texts, split_labels))
            predicted = np.asarray(output.predictions).argmax(-1)
            # In the order predicted, which a length-grouped sampler changes.
            metrics[split] = classification_report(list(np.asarray(output.label_ids)), list(predicted))
    if isinstance(model, LexiconFusion):
        assert lexicon is not None
        model.save(args.out)
        lexicon.to_csv(args.out / LEXICON_FILE)
    else:
        model.save_pretrained(str(args.out))
    tokenizer.save_pretrained(str(args.out))
    report = {
        "stage": "sentiment",
        "base": base_name(args.base),
        "data": {"path": args.data.name, "sha256": file_sha256(args.data), "splits": sizes,
                 "training_examples": sources},
        "more_labeled": more,
        "emote_tokens_added": added_tokens,
        "lexicon_sha256": file_sha256(args.lexicon) if args.lexicon else None,
        "teacher": teacher_identity(args.teacher) if args.teacher and "teacher_labeled" in sources else None,
        "hyperparameters": {k: portable(v) for k, v in asdict(args).items()
                            if k not in ("data", "out")},
        "precision": "fp16" if cuda else "bf16" if cpu_bf16 else "fp32",  # what ran, whatever --bf16 asked
        "best_epoch_dev_macro_f1": trainer.state.best_metric,
        "epochs_run": trainer.state.epoch,
        "dev_log": [{"epoch": e["epoch"], "macro_f1": round(e["eval_macro_f1"], 4)}
                    for e in trainer.state.log_history if "eval_macro_f1" in e],
        "metrics": metrics,
        "duration_s": round(time.monotonic() - started, 1),
        "hardware": machine_info(),
    }
    write_json(args.out / "training_report.json", report)
    scored = ", ".join(f"{split} macro-F1 {m['macro_f1']:.3f}" for split, m in metrics.items())
    log.info("sentiment: %s in %.0f s", scored or "no split left to score", report["duration_s"])
    return report
