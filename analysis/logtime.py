"""Times in chat logs: seconds into a stream ('12.5', '1:02:03', '-0:05') or wall-clock times
(epoch seconds, milliseconds or microseconds, ISO 8601), told apart and converted to seconds."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

_CLOCK = re.compile(r"^(-)?(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)$")


def finite_number(value: Any) -> float | None:
    """A finite JSON number as a float (booleans are not numbers), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def absolute_seconds(value: Any) -> float | None:
    """Seconds since the epoch from epoch seconds, milliseconds, microseconds or ISO 8601."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            try:
                # Python 3.10's fromisoformat does not take the 'Z' suffix
                return datetime.fromisoformat(re.sub(r"Z$", "+00:00", value.strip())).timestamp()
            except ValueError:
                return None
    seconds = finite_number(value)
    if seconds is None:
        return None
    if seconds >= 1e14:
        return seconds / 1e6
    if seconds >= 1e11:
        return seconds / 1e3
    return seconds


def parse_time(value: str) -> tuple[float, bool] | None:
    """(seconds, is_wall_clock) from '12.5', '1:02:03', '-0:05', epoch numbers or ISO 8601."""
    value = value.strip()
    clock = _CLOCK.match(value)
    if clock:
        sign, hours, minutes, seconds = clock.groups()
        total = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
        return (-total if sign else total), False
    try:
        seconds = float(value)
    except ValueError:
        absolute = absolute_seconds(value)
        return None if absolute is None else (absolute, True)
    if not math.isfinite(seconds):
        return None
    if abs(seconds) >= 1e9:  # a wall-clock timestamp, not seconds into a stream
        absolute = absolute_seconds(seconds)
        return None if absolute is None else (absolute, True)
    return seconds, False
