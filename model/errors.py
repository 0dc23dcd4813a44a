"""Errors of the model package, importable without loading torch."""

from mood.errors import TwitchMoodError


class ModelLoadError(TwitchMoodError):
    """The model could not be loaded; the message names the directory and what is wrong."""
