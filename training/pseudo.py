"""Self-training: a fine-tuned teacher's confident labels on unlabeled chat as extra examples.

The corpus holds 37,000 distinct messages and the labeled set 8,450. A teacher (a model
fine-tuned with the same recipe, such as the shipped one) scores corpus messages that the labeled
file (`--data`, every split) does not hold, through the runtime Scorer; those whose top
probability reaches `min_confidence` join the training examples with the teacher's label. The
dev and test messages stay out, so dev still judges the student fairly.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path, PurePath

from model.paths import file_sha256
from mood.labels import LABELS
from training.data import unique_messages, without_matches

CHUNK = 512  # messages scored per call
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def pseudo_examples(teacher: str | Path, lines: Iterable[str], exclude: Iterable[str], limit: int,
                    min_confidence: float, seed: int = 0) -> tuple[list[str], list[int]]:
    """Up to `limit` corpus messages, not in `exclude` and drawn at random, that the teacher
    labels with a top probability of at least `min_confidence`, with its labels (0..2).
    Messages are compared as the model reads them: normalised and (as the tokenizer does) in
    lower case, so `OK` stays out when `ok` is a dev message."""
    from training.distill import load_scorer

    pool = without_matches(unique_messages(list(lines)), exclude)
    random.Random(seed).shuffle(pool)
    scorer = load_scorer(Path(teacher))
    texts: list[str] = []
    labels: list[int] = []
    try:
        for start in range(0, len(pool), CHUNK):
            chunk = pool[start:start + CHUNK]
            for text, score in zip(chunk, scorer.predict(chunk), strict=True):
                if max(score.negative, score.neutral, score.positive) >= min_confidence:
                    texts.append(text)
                    labels.append(LABELS.index(score.label))
            if len(texts) >= limit:
                break
    finally:
        scorer.close()
    return texts[:limit], labels[:limit]


def teacher_identity(teacher: str | Path) -> dict[str, str | None]:
    """The teacher for a training report: its directory and the sha256 of its weights file."""
    weights = next((Path(teacher) / name for name in WEIGHT_FILES if (Path(teacher) / name).is_file()), None)
    return {"path": PurePath(teacher).name, "weights": weights.name if weights else None,
            "sha256": file_sha256(weights) if weights else None}
