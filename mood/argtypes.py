"""argparse types the commands share: a bad number is argparse's one usage line, never a run
that starts with it."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """A finite number above zero (`nan`, `inf`, `0` and `-1` are refused)."""
    def parse(value: str) -> int | float:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {value!r}") from None
        if not math.isfinite(number) or number <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {value!r}")
        return number
    return parse
