"""The one base of every user-facing error; the command line prints it as one line.

Anything that is not a `TwitchMoodError` is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any


class TwitchMoodError(Exception):
    """An error the user can fix (a setting, a file, a login); its message says what to do."""


class UsageError(TwitchMoodError):
    """A command-line option or argument that cannot work as given."""


def one_line_errors(prog: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """For a module's `main` (`python -m ...`): a TwitchMoodError is one line on stderr, exit 2."""
    def wrap(main: Callable[..., int]) -> Callable[..., int]:
        @functools.wraps(main)
        def run(*args: Any, **kwargs: Any) -> int:
            try:
                return main(*args, **kwargs)
            except TwitchMoodError as exc:
                print(f"{prog}: error: {exc}", file=sys.stderr)
                return 2
        return run
    return wrap
