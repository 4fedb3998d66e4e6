"""PubChem look-ups: a cached, rate-limited, retrying client, and a replay server for tests.

`PubChemClient` is the only way the project talks to PubChem, so the usage policy (at most
5 requests/s and 400/min) and the cache apply to every caller.
"""

from tools.pubchem.client import ClientStats, PubChemClient
from tools.pubchem.errors import (
    PubChemBadRequest,
    PubChemError,
    PubChemNotFound,
    PubChemUnavailable,
)
from tools.pubchem.records import CompoundRecord, GhsHazards
from tools.pubchem.settings import PubChemSettings

__all__ = [
    "ClientStats",
    "CompoundRecord",
    "GhsHazards",
    "PubChemBadRequest",
    "PubChemClient",
    "PubChemError",
    "PubChemNotFound",
    "PubChemSettings",
    "PubChemUnavailable",
]
