"""Typed errors of the model layer; each message says what went wrong and what to do."""

from __future__ import annotations


class ModelError(Exception):
    """A chat model could not produce an answer."""


class BackendUnavailable(ModelError):
    """The server is down, unreachable or too slow; retrying later or elsewhere may work."""


class BackendResponseError(ModelError):
    """The server answered, but with an error or with something that is not a valid reply."""


class ModelLoadError(ModelError):
    """A local checkpoint could not be loaded (missing folder, wrong files, missing extra)."""
