"""The one base of every user-facing error; the command line prints it as one line.

Anything that is not a `TwitchMoodError` is a bug and keeps its traceback.
"""


class TwitchMoodError(Exception):
    """An error the user can fix (a setting, a file, a login); its message says what to do."""


class UsageError(TwitchMoodError):
    """A command-line option or argument that cannot work as given."""
