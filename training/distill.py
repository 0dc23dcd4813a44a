"""A distilled student of the shipped model (issue 14's candidate): fewer layers, same text path.

The student starts as a copy of the teacher with only some of its encoder layers (`--layers 0 2
4`: every other one), keeps its embeddings, emote tokens and lexicon head, and learns the
teacher's probabilities (soft labels, cross-entropy against them) over the unlabeled corpus and
the labeled training split. The dev and test messages are left out, so the comparison is fair.
It is then scored through the runtime Scorer beside the teacher: macro-F1 on dev and test and
the share of labels equal to the teacher's, the rule a faster path must meet.

    python -m training.distill --out DIR --layers 0 2 4   (--help: every option)
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from model.encoding import ChatEncoder
from model.fusion import HEAD_FILE, LexiconFusion
from model.lexicon import LEXICON_FILE, read_lexicon
from model.machine import machine_info
from mood.errors import UsageError, one_line_errors
from mood.labels import LABELS
from training.args import DistillArgs
from training.data import (
    LabeledSet,
    evaluation_messages,
    read_corpus,
    read_labeled,
    unique_messages,
    without_matches,
)
from training.evaluate import refuse_learned_dev
from training.metrics import classification_report
from training.report import write_json
from training.sentiment import EncodedSet

if TYPE_CHECKING:
    from model.scorer import Scorer


def check_layers(layers: Sequence[int], count: int) -> None:
    """The student's layers must be distinct layers of a teacher with `count` of them."""
    if not layers or any(i < 0 or i >= count for i in layers) or len(set(layers)) < len(layers):
        raise UsageError(f"--layers must name distinct layers among 0-{count - 1}, got {list(layers)}")


def student_of(teacher: Path, layers: Sequence[int]) -> tuple[Any, Any]:
    """The teacher's tokenizer and a copy of its classifier with only `layers` of its encoder."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(teacher))
    base = AutoModelForSequenceClassification.from_pretrained(str(teacher), dtype=torch.float32)
    encoder_layers = base.base_model.encoder.layer
    check_layers(layers, len(encoder_layers))
    base.base_model.encoder.layer = torch.nn.ModuleList(encoder_layers[i] for i in layers)
    base.config.num_hidden_layers = len(layers)
    if not (teacher / HEAD_FILE).is_file():
        return tokenizer, base
    model = LexiconFusion(base)
    model.load_head(teacher)
    return tokenizer, model


def distillation_texts(corpus: Path, labeled: LabeledSet, limit: int | None = None) -> list[str]:
    """The corpus's and the training split's messages, normalised, each once, without any message
    of the dev or test split."""
    messages = unique_messages(read_corpus(corpus, limit) + labeled.split("train")[0])
    return without_matches(messages, evaluation_messages(labeled))


def load_scorer(path: Path) -> Scorer:
    from model.scorer import Scorer

    return Scorer.load(str(path), quantize="off", precision="fp32")


def soft_labels(teacher: Scorer, texts: list[str]) -> list[list[float]]:
    """The teacher's probabilities (negative, neutral, positive) for each text."""
    return [[s.negative, s.neutral, s.positive] for s in teacher.predict(texts)]


COMPARED_SPLITS = ("dev", "test")


def check_compared_splits(labeled: LabeledSet) -> None:
    """The student and its teacher are compared on dev and test: a one-line error before any
    training where the labeled file lacks one."""
    for split in COMPARED_SPLITS:
        labeled.require(split)


def compared(student: Path, teacher: Scorer, labeled: LabeledSet) -> tuple[dict[str, Any], dict[str, Any]]:
    """Macro-F1 of both on dev and test with the student's labels equal to the teacher's; and the
    student's own metrics per split."""
    scorers = {"teacher": teacher, "student": load_scorer(student)}
    result: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    for split in COMPARED_SPLITS:
        texts, labels = labeled.split(split)
        predicted = {name: [LABELS.index(s.label) for s in scorer.predict(texts)]
                     for name, scorer in scorers.items()}
        same = sum(a == b for a, b in zip(predicted["teacher"], predicted["student"], strict=True))
        reports = {name: classification_report(labels, p) for name, p in predicted.items()}
        result[split] = {name: round(r["macro_f1"], 4) for name, r in reports.items()}
        result[split]["same_labels"] = round(same / len(texts), 4)
        metrics[split] = reports["student"]
    scorers["student"].close()
    return result, metrics


def distill(args: DistillArgs) -> dict[str, Any]:
    """Train the student, save it with `distill_report.json` in `args.out`, compare it with the
    teacher; returns the report."""
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments, set_seed

    started = time.monotonic()
    set_seed(args.seed)
    refuse_learned_dev(args.teacher, None, "and distillation compares the student with it on dev; use a "
                                           "teacher trained with --no_fit_dev")
    labeled = read_labeled(args.data)
    check_compared_splits(labeled)
    texts = distillation_texts(args.corpus, labeled, args.limit)
    teacher = load_scorer(args.teacher)
    targets = soft_labels(teacher, texts)
    tokenizer, model = student_of(args.teacher, args.layers)
    lexicon = read_lexicon(args.teacher / LEXICON_FILE) if isinstance(model, LexiconFusion) else None
    train_set = EncodedSet(ChatEncoder(tokenizer, args.max_length, lexicon), texts, targets)  # type: ignore[arg-type]

    def compute_loss(outputs: Any, labels: torch.Tensor, num_items_in_batch: Any = None) -> torch.Tensor:
        log_probs = torch.nn.functional.log_softmax(outputs["logits"], dim=-1)
        return -(labels.to(log_probs.dtype) * log_probs).sum(-1).mean()  # cross-entropy to soft labels

    steps = math.ceil(len(train_set) / args.batch_size) * args.epochs
    with tempfile.TemporaryDirectory(prefix="twitch-mood-distill-") as scratch:  # Trainer wants an output_dir
        trainer = Trainer(
            model=model, train_dataset=train_set, data_collator=DataCollatorWithPadding(tokenizer),
            compute_loss_func=compute_loss,
            args=TrainingArguments(
                output_dir=scratch, num_train_epochs=args.epochs, per_device_train_batch_size=args.batch_size,
                learning_rate=args.learning_rate, warmup_steps=math.ceil(args.warmup_ratio * steps),
                weight_decay=args.weight_decay, save_strategy="no", logging_strategy="epoch", report_to=[],
                seed=args.seed, disable_tqdm=True, dataloader_num_workers=0, dataloader_pin_memory=False),
        )
        trainer.train()
    args.out.mkdir(parents=True, exist_ok=True)
    if isinstance(model, LexiconFusion):
        model.save(args.out)
        shutil.copy(args.teacher / LEXICON_FILE, args.out / LEXICON_FILE)
    else:
        model.save_pretrained(str(args.out))
    tokenizer.save_pretrained(str(args.out))
    report = {"stage": "distill", "teacher": args.teacher.name, "messages": len(texts),
              "hyperparameters": {k: v for k, v in asdict(args).items() if k not in ("out", "teacher")},
              "train_loss_log": [round(e["loss"], 4) for e in trainer.state.log_history if "loss" in e],
              "duration_s": round(time.monotonic() - started, 1), "hardware": machine_info()}
    report["compared"], report["metrics"] = compared(args.out, teacher, labeled)
    teacher.close()
    write_json(args.out / "distill_report.json", report)
    return report


@one_line_errors("python -m training.distill")
def main(argv: list[str] | None = None) -> int:
    from transformers import HfArgumentParser

    parser = HfArgumentParser(DistillArgs)  # type: ignore[arg-type]
    parser.prog = "python -m training.distill"
    (args,) = parser.parse_args_into_dataclasses(argv)
    report = distill(args)
    print(json.dumps({k: report[k] for k in ("messages", "train_loss_log", "duration_s", "compared")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
