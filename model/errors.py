"""Errors of the model package, importable without loading torch."""


class ModelLoadError(RuntimeError):
    """The model could not be loaded; the message names the directory and what is wrong."""
