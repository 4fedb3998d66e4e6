"""What can go wrong when asking PubChem, in words a chemist can act on."""

from __future__ import annotations

from typing import Literal

from tools.base import ToolError, ToolInputError

UnavailableReason = Literal["offline_mode", "offline", "throttled", "timeout", "server_error"]


class PubChemError(ToolError):
    """Base class for PubChem failures."""


class PubChemNotFound(PubChemError, ToolInputError):
    """PubChem has no compound for the identifier (a definite answer, cached like a hit)."""

    def __init__(self, message: str, *, from_cache: bool = False) -> None:
        super().__init__(message)
        self.from_cache = from_cache


class PubChemBadRequest(PubChemError, ToolInputError):
    """PubChem rejected the identifier itself (e.g. a SMILES it cannot standardise)."""


class PubChemUnavailable(PubChemError):
    """No answer could be had: the cache has none and PubChem cannot be asked right now.

    `reason` separates what the user should do: switch off offline mode or connect
    (`offline_mode`, `offline`), wait (`throttled`, `timeout`), or try later (`server_error`).
    """

    def __init__(self, message: str, reason: UnavailableReason) -> None:
        super().__init__(message)
        self.reason: UnavailableReason = reason
