"""Every training argument, with its one default and its one help text, in dataclass fields.

`twitch-mood train mlm|sentiment|all` parses them with `transformers.HfArgumentParser`
(training/cli.py); the Python API takes the same dataclasses. Torch-free, so the command line
builds its parser without loading torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from model.paths import default_corpus, shared_data_dir
from mood.errors import UsageError
from training.bases import MINILM, SCRATCH_ROBERTA, ScratchShape

# More corpus messages, labeled for the project following the data's LABELING.md
# (training/labels/README.md): training rows beside the labeled set's train split.
LABELS_DIR = Path(__file__).parent / "labels"
MORE_LABELED = LABELS_DIR / "corpus_sample.csv"
MORE_LABELED_2 = LABELS_DIR / "corpus_sample_2.csv"
EMOTE_LABELED = LABELS_DIR / "emote_sample.csv"  # corpus messages with an emote, a third draw
# The corpus messages the model shipped then was least sure of (smallest margin between its top two labels).
UNCERTAIN_LABELED = LABELS_DIR / "uncertain_sample.csv"
ALL_LABELED = (MORE_LABELED, MORE_LABELED_2, EMOTE_LABELED, UNCERTAIN_LABELED)  # `+all-labels`
# The 2,000 corpus messages the model shipped before gave the largest P(negative).
NEGATIVE_LABELED = LABELS_DIR / "negative_sample.csv"
# 2,000 more of the rest by P(negative), of the model shipped on 2026-12-07, morning (`+negative-labels-2`).
NEGATIVE_LABELED_2 = LABELS_DIR / "negative_sample_2.csv"
# And the next 2,000 by the same model's P(negative) (`+negative-labels-3`, beside the second).
NEGATIVE_LABELED_3 = LABELS_DIR / "negative_sample_3.csv"
# The five files `+all-labels+negative-labels` reads (shipped until 2026-12-07 evening), in the order drawn.
LABEL_FILES = (*ALL_LABELED, NEGATIVE_LABELED)
# Those and the second and third negative-aimed files (`+negative-labels-2+negative-labels-3`): the shipped
# recipe's, in the order drawn.
SEVEN_LABEL_FILES = (*LABEL_FILES, NEGATIVE_LABELED_2, NEGATIVE_LABELED_3)
PATIENCE = 1  # epochs without a better dev macro-F1 before training stops (with --no_fit_dev)
# Defaults that `train mlm` (MlmArgs) and `train all`'s MLM stage (PipelineArgs) share.
MLM_STEPS = 1200
EMOTE_WEIGHT = 3


def default_stream() -> Path:
    return shared_data_dir() / "chat_stream_2025.csv"


def fit_splits(fit_dev: bool) -> tuple[str, ...]:
    """The labeled splits a model learns from: train, and dev too once the recipe is chosen."""
    return ("train", "dev") if fit_dev else ("train",)


def _arg(default: Any, help: str, **metadata: Any) -> Any:
    """A training argument: its one default and its one help text (HfArgumentParser reads both)."""
    return field(default=default, metadata={"help": help, **metadata})


@dataclass
class SentimentArgs:
    """Arguments of `twitch-mood train sentiment` (and of `train all`'s fine-tuning stage); the
    defaults are the shipped recipe (training/README.md)."""

    out: Path = field(metadata={"help": "output directory"})
    base: str = _arg(MINILM, f"start: a model directory (e.g. the `train mlm` output), '{MINILM}', "
                             f"'{SCRATCH_ROBERTA}' or a hub name")
    data: Path = field(default_factory=lambda: shared_data_dir() / "labeled_2025.csv", metadata={
        "help": "labeled CSV with a split column train/dev/test"})
    text_col: str = _arg("text", "text column")
    label_col: str = _arg("label", "label column: negative/neutral/positive or -1/0/1")
    split_col: str = _arg("split", "split column: train/dev/test")
    corpus: Path | None = field(default_factory=default_corpus, metadata={
        "help": "unlabeled chat, one message per line: lexicon-labeled and teacher-labeled examples, and "
                "the tokenizer of scratch:roberta"})
    more_labeled: list[Path] = field(default_factory=lambda: list(SEVEN_LABEL_FILES), metadata={
        "help": "more labeled chat (CSVs with text and label columns, no split column): every row joins the "
                "train split, except a message that --data or an earlier file holds ('' for none)"})
    lexicon: Path | None = field(default_factory=lambda: shared_data_dir() / "emote_lexicon.csv", metadata={
        "help": "emote/slang lexicon (token,kind,sentiment) for lexicon examples, features and emote "
                "swaps ('' for none)"})
    epochs: int = _arg(3, "epochs: exactly these (with --no_fit_dev: at most these, the best dev epoch kept)")
    patience: int = _arg(PATIENCE, "with --no_fit_dev: stop after this many epochs without a better dev "
                                   "macro-F1")
    batch_size: int = _arg(32, "training batch size")
    group_by_length: bool = _arg(False, "batch messages of similar length together (Trainer's length-grouped "
                                        "sampler): less padding, so faster on CPU")
    learning_rate: float = _arg(1e-4, "encoder learning rate (chosen on dev)")
    bf16: bool = _arg(True, "without CUDA: bf16 mixed precision on the CPU (torch autocast) where the CPU "
                            "computes bf16 natively (avx512_bf16, AMX), fp32 on other CPUs whatever this "
                            "says (emulated bf16 is slower; the report names what ran); --no_bf16: fp32 on "
                            "the CPU; with CUDA, fp16 regardless")
    ema_decay: float = _arg(0.0, "weight averaging: an exponential moving average of the weights with this "
                                 "decay per optimizer step, less in the first steps (training/optimizer.py: "
                                 "0.997 at step 3,000); each epoch's dev score, its checkpoint and the "
                                 "saved model use the average; 0: off")
    layer_lr_decay: float = _arg(1.0, "layer-wise learning-rate decay: each encoder layer learns at this "
                                      "share of the rate of the one above it, the embeddings below the "
                                      "lowest; 1: every layer at --learning_rate")
    max_length: int = _arg(64, "tokens per message, as at scoring time")
    label_smoothing: float = _arg(0.0, "share of each label's weight spread over all classes (silver labels "
                                       "are noisy); 0: none")
    class_weights: Literal["none", "balanced", "sqrt"] = _arg(
        "sqrt", "loss weights: none, inverse class frequency (balanced) or its square root")
    lexicon_tokens: bool = _arg(True, "add each lexicon token alone as an example")
    weak_limit: int = _arg(1000, "most lexicon-labeled corpus messages to add (0: none)")
    lexicon_features: bool = _arg(True, "lexicon features in the classification head (model/fusion.py)")
    head_learning_rate: float = _arg(1e-2, "learning rate of the lexicon head, which starts at zero")
    emote_tokens: bool = _arg(True, "give each emote, emoji, emoticon and channel-emote word part of the "
                                     "lexicon its own token, started from its meaning (training/vocab.py)")
    emote_swaps: int = _arg(3, "emote-swapped copies of each training message with an emote (0: none)")
    invented_emotes: int = _arg(600, "invented emotes that only a one-line lexicon entry explains, alone and "
                                   "in training messages, so the lexicon head learns to read a streamer's "
                                   "own emotes (training/augment.py; needs lexicon features; 0: none)")
    teacher: Path | None = field(default=None, metadata={  # not _arg: ruff's RUF009 for a Path default
        "help": "self-training: a fine-tuned model whose confident labels on corpus messages that --data "
                "does not hold join the training examples (training/pseudo.py; none: off)"})
    teacher_examples: int = _arg(4000, "most teacher-labeled corpus messages (with --teacher)")
    teacher_confidence: float = _arg(0.9, "least top probability (0-1) of a teacher label that is kept")
    fit_dev: bool = _arg(True, "after the choice on dev: train on the dev split too, for exactly --epochs "
                               "epochs (dev then picks no epoch and stops nothing, and the report leaves its "
                               "figures out); --no_fit_dev to compare recipes on dev")
    seed: int = _arg(0, "random seed (weights, order, sampling)")

    def fit_splits(self) -> tuple[str, ...]:
        """The labeled splits the model learns from."""
        return fit_splits(self.fit_dev)

    def __post_init__(self) -> None:
        # HfArgumentParser hands `--lexicon ''` over as Path('.').
        for name in ("lexicon", "corpus", "teacher"):
            value = getattr(self, name)
            if value is not None and str(value) in ("", "."):
                setattr(self, name, None)
        for name in ("data", "out", "lexicon", "corpus", "teacher"):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, Path(value))
        more = [self.more_labeled] if isinstance(self.more_labeled, (str, Path)) else self.more_labeled or []
        self.more_labeled = [Path(path) for path in more if str(path) not in ("", ".")]
        if not 0.0 < self.layer_lr_decay <= 1.0:
            raise UsageError(f"--layer_lr_decay must be over 0 and at most 1, not {self.layer_lr_decay}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise UsageError(f"--ema_decay must be at least 0 and under 1, not {self.ema_decay}")
        if self.epochs < 1:
            raise UsageError(f"--epochs must be 1 or more, not {self.epochs}")
        if self.fit_dev and self.patience != PATIENCE:
            raise UsageError(f"--patience {self.patience} stops on dev, and with --fit_dev (the default) dev "
                             "is training data and every epoch runs; add --no_fit_dev to stop early")
        if not 0.0 <= self.teacher_confidence <= 1.0 or self.teacher_examples < 0:
            raise UsageError(f"--teacher_confidence must be within 0-1 (got {self.teacher_confidence}) and "
                             f"--teacher_examples 0 or more (got {self.teacher_examples})")


@dataclass
class MlmArgs:
    """Arguments of `twitch-mood train mlm` (and of `train all`'s MLM stage)."""

    out: Path = field(metadata={"help": "output directory"})
    base: str = field(default=MINILM, metadata={
        "help": f"start: '{MINILM}', '{SCRATCH_ROBERTA}', a model directory or a hub name"})
    corpus: Path = field(default_factory=default_corpus, metadata={
        "help": "unlabeled chat, one message per line"})
    steps: int = field(default=MLM_STEPS, metadata={"help": "optimizer steps"})
    batch_size: int = field(default=32, metadata={"help": "blocks per step"})
    block_size: int = field(default=64, metadata={"help": "tokens per block"})
    learning_rate: float | None = field(default=None, metadata={
        "help": "default 1e-4 for a pretrained start, 5e-4 from scratch (random weights need larger steps)"})
    mlm_probability: float = field(default=0.15, metadata={"help": "share of tokens masked"})
    warmup_ratio: float = field(default=0.06, metadata={"help": "share of steps warming up"})
    seed: int = field(default=0, metadata={"help": "random seed"})
    limit: int | None = field(default=None, metadata={
        "help": "read only the first N lines of the corpus and the stream together"})
    stream: Path | None = field(default_factory=default_stream, metadata={
        "help": "a chat stream CSV (user,message) whose messages join the corpus ('' for none)"})
    leave_out: Path | None = field(default=None, metadata={
        "help": "a labeled CSV (text and split columns) whose dev and test messages are left out of the MLM "
                "text, so that the evaluation splits stay unseen text ('' for none)"})
    emote_weight: int = field(default=EMOTE_WEIGHT, metadata={
        "help": "times each message with an emote, emoji or channel emote is read per pass over the "
                "corpus (1: once, like every other message)"})
    emote_tokens: bool = field(default=True, metadata={
        "help": "add the lexicon's emote tokens before MLM, to learn them in context (training/vocab.py)"})
    lexicon: Path | None = field(default_factory=lambda: shared_data_dir() / "emote_lexicon.csv", metadata={
        "help": "emote lexicon for --emote_tokens"})
    # Not an argument: the shape of scratch:roberta (tests set a tiny one).
    scratch: ScratchShape = field(default_factory=ScratchShape, init=False)

    def __post_init__(self) -> None:
        self.out, self.corpus = Path(self.out), Path(self.corpus)
        if self.stream is not None:
            self.stream = None if str(self.stream) in ("", ".") else Path(self.stream)
        if self.leave_out is not None:
            self.leave_out = None if str(self.leave_out) in ("", ".") else Path(self.leave_out)
        if self.emote_weight < 1:
            raise UsageError(f"--emote_weight must be 1 or more, not {self.emote_weight}")
        if self.lexicon is not None:
            self.lexicon = None if str(self.lexicon) in ("", ".") else Path(self.lexicon)
        if self.learning_rate is None:
            self.learning_rate = MLM_LR[start_kind(self.base)]


# MLM learning rate by start: random weights need larger steps than a pretrained encoder.
MLM_LR = {"scratch": 5e-4, "pretrained": 1e-4}


def start_kind(base: str) -> str:
    return "scratch" if base == SCRATCH_ROBERTA else "pretrained"


@dataclass
class PipelineArgs:
    """What `twitch-mood train all` adds to the fine-tuning arguments (SentimentArgs)."""

    no_mlm: bool = field(default=False, metadata={"help": "skip the MLM stage (for comparison)"})
    mlm_steps: int = field(default=MLM_STEPS, metadata={"help": "steps of the MLM stage"})
    mlm_stream: Path | None = field(default_factory=default_stream, metadata={
        "help": "a chat stream CSV whose messages join the corpus in the MLM stage ('' for none)"})
    mlm_emote_weight: int = field(default=EMOTE_WEIGHT, metadata={
        "help": "times the MLM stage reads each message with an emote (1: once; needs --lexicon)"})
    mlm_seed: int | None = field(default=None, metadata={
        "help": "seed of the MLM stage (default: --seed); the shipped model is --seed 1 --mlm_seed 0"})
    fp32: bool = field(default=False, metadata={"help": "save fp32 weights (default fp16)"})
    distill_layers: list[int] = field(default_factory=list, metadata={
        "help": "after fine-tuning, distil a student that keeps these of its encoder layers "
                "(training/distill.py) and ship the student (none: ship the fine-tuned model)"})
    distill_epochs: int | None = field(default=None, metadata={
        "help": "passes of the distillation stage (default: that of python -m training.distill)"})

    def __post_init__(self) -> None:
        if self.mlm_stream is not None:  # HfArgumentParser hands `--mlm_stream ''` over as Path('.')
            self.mlm_stream = None if str(self.mlm_stream) in ("", ".") else Path(self.mlm_stream)


@dataclass
class DistillArgs:
    """Arguments of `python -m training.distill` (a student with fewer of the teacher's layers)."""

    out: Path = field(metadata={"help": "output directory of the student"})
    teacher: Path = field(metadata={
        "help": "the teacher checkpoint, trained with --no_fit_dev: the student is compared with it on dev "
                "(so not the shipped model, which learned dev)"})
    layers: list[int] = field(default_factory=lambda: [0, 2, 4], metadata={
        "help": "the teacher's encoder layers the student keeps, in order"})
    corpus: Path = field(default_factory=default_corpus, metadata={
        "help": "unlabeled chat, one message per line, scored by the teacher"})
    data: Path = field(default_factory=lambda: shared_data_dir() / "labeled_2025.csv", metadata={
        "help": "labeled CSV: its train split joins the corpus, dev and test are left out and compared on"})
    epochs: int = _arg(2, "passes over the teacher-labeled messages")
    batch_size: int = _arg(32, "training batch size")
    learning_rate: float = _arg(1e-4, "learning rate")
    max_length: int = _arg(64, "tokens per message, as at scoring time")
    warmup_ratio: float = _arg(0.06, "share of steps warming up")
    weight_decay: float = _arg(0.01, "AdamW weight decay")
    seed: int = _arg(0, "random seed")
    limit: int | None = _arg(None, "read only the first N corpus lines (quick runs)")

    def __post_init__(self) -> None:
        self.out, self.teacher = Path(self.out), Path(self.teacher)
        self.corpus, self.data = Path(self.corpus), Path(self.data)
