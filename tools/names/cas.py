"""CAS Registry Numbers: how they look in text, and their check digit (pure)."""

from __future__ import annotations

import re

CAS_PATTERN = re.compile(r"\b(\d{2,7}-\d{2}-\d)\b")


def cas_checksum_ok(cas: str) -> bool:
    """CAS numbers end in a check digit: the weighted sum of the other digits mod 10."""
    digits = cas.replace("-", "")
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * w for w, d in enumerate(reversed(body), start=1))
    return total % 10 == check
