"""Variants of the labeled CSV that `training/compare.py` trains on: version 1 alone, and the
folds of a cross-validation over train and dev. Rows a variant does not learn from or score stay in
the file as `heldout`.

Cross-validation: dev (1,268 messages) and test disagree on which recipes train better
(training/README), so a recipe can also be compared on every train and dev message, each
scored once by a model that did not learn it. Fold k of n: the train and dev rows whose id's
sha256 is k modulo n become its dev, the other train and dev rows its train. A salt s other than
0 hashes `s:id` instead: another partition into n folds, for a second cross-validation whose
folds no earlier run was scored on. Test rows become `heldout`: still in the file, so that every
step that keeps labeled messages out of extra examples keeps them out alike, and never scored.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from training.subsets import VERSION_1_BELOW

HELDOUT = "heldout"


def _rewrite(data: Path, out: Path, row_split: Callable[[dict[str, str]], str]) -> Path:
    """`data` with each row's split replaced by `row_split(row)`, every row kept."""
    with open(data, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = [{**row, "split": row_split(row)} for row in reader]
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return out


def version_1_csv(data: Path, directory: Path) -> Path:
    """Version 1 of the labeled set (ids below l02650) with its splits; the later rows `heldout`, so
    that no lexicon-labeled or teacher-labeled example repeats one of their messages either."""
    return _rewrite(data, directory / "labeled_v1.csv",
                    lambda row: row["split"] if row["id"] < VERSION_1_BELOW else HELDOUT)


class Fold(NamedTuple):
    """Fold `k` of `n`, in the partition of salt `salt`."""

    k: int
    n: int
    salt: int = 0

    def name(self) -> str:
        return f"fold{self.k}of{self.n}" + (f"salt{self.salt}" if self.salt else "")

    def fields(self) -> dict[str, int]:
        """How a run's JSON line names it (no salt where it is 0, as in the first runs' lines)."""
        return {"fold": self.k, "folds": self.n, **({"fold_salt": self.salt} if self.salt else {})}

    @classmethod
    def of_run(cls, entry: dict[str, Any]) -> Fold | None:
        return cls(entry["fold"], entry["folds"], entry.get("fold_salt", 0)) if "folds" in entry else None


def fold_of(row_id: str, folds: int, salt: int = 0) -> int:
    key = row_id if salt == 0 else f"{salt}:{row_id}"  # salt 0: the partition of the first runs
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % folds


def fold_csv(data: Path, fold: Fold, directory: Path) -> Path:
    """`fold` over the train and dev rows of `data` (module docstring)."""
    def split(row: dict[str, str]) -> str:
        if row["split"] not in ("train", "dev"):
            return HELDOUT
        return "dev" if fold_of(row["id"], fold.n, fold.salt) == fold.k else "train"

    return _rewrite(data, directory / f"labeled_{fold.name()}.csv", split)
