"""The PubChem client: cache first, then PUG-REST/PUG-View under the usage policy.

The HTTP layer is ours rather than pubchempy's `request`, which has no timeout, retry or rate
limit hooks; pubchempy still parses the full compound records (`records.py`).
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode, urlsplit
from urllib.request import Request, urlopen

from models.deadline import limit, remaining
from tools.base import ToolDeadlineExceeded
from tools.names.table import CAS_PATTERN, cas_checksum_ok
from tools.pubchem.cache import AnswerCache
from tools.pubchem.errors import (
    PubChemBadRequest,
    PubChemNotFound,
    PubChemUnavailable,
    UnavailableReason,
)
from tools.pubchem.ratelimit import RateLimiter, shared_limiter
from tools.pubchem.records import (
    PROPERTY_NAMES,
    CompoundRecord,
    GhsHazards,
    ghs_from_view,
    record_from_pc_compound,
    record_from_properties,
    synonyms_from_list,
)
from tools.pubchem.settings import PubChemSettings

log = logging.getLogger(__name__)

Namespace = Literal["name", "cid", "smiles", "inchikey", "formula"]
_POSTED = ("name", "smiles", "inchikey")
_USER_AGENT = "chemdfm-agent (https://github.com/chemdfm-agent; PubChem client)"
_THROTTLE = re.compile(r"(\w[\w ]*?) status: (Green|Yellow|Red|Black)", re.IGNORECASE)


@dataclass
class ClientStats:
    """Counts since the client was made: what the cache saved and what the network cost."""

    lookups: int = 0
    cache_hits: int = 0
    requests: int = 0
    retries: int = 0
    stale_served: int = 0

    @property
    def hit_rate(self) -> float:
        return self.cache_hits / self.lookups if self.lookups else 0.0


class PubChemClient:
    """Thread-safe; share one per process (the rate limiter is shared regardless)."""

    def __init__(
        self,
        settings: PubChemSettings | None = None,
        cache_path: Path | None = None,
        *,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings or PubChemSettings()
        self.cache = AnswerCache(cache_path) if cache_path else None
        base = self.settings.api_base.rstrip("/")
        self._rest = f"{base}/pug"
        self._view = f"{base}/pug_view"
        self._host = urlsplit(base).netloc or base
        self._limiter = limiter or shared_limiter(
            self._host, self.settings.max_per_second, self.settings.max_per_minute
        )
        self._sleep = sleep
        self._stats_lock = threading.Lock()
        self.stats = ClientStats()

    # -- public API -------------------------------------------------------------------------

    def compounds(
        self, identifier: str | int, namespace: Namespace = "name"
    ) -> list[CompoundRecord]:
        """Full compound records (PUG-REST `compound/<namespace>/JSON`)."""
        body, cached = self._compound_json(identifier, namespace, "JSON")
        records = [
            record_from_pc_compound(c, from_cache=cached) for c in body.get("PC_Compounds", [])
        ]
        if not records or all(r.cid is None for r in records):
            raise PubChemNotFound(
                f"PubChem has no compound for {namespace} {identifier!r}"
                + (" (the structure is valid but not in PubChem)" if records else "")
            )
        return [r for r in records if r.cid is not None]

    def properties(
        self,
        identifier: str | int,
        namespace: Namespace = "name",
        names: Iterable[str] = PROPERTY_NAMES,
    ) -> list[CompoundRecord]:
        """Compounds with their computed properties (PUG-REST `property/.../JSON`), best first."""
        op = "property/" + ",".join(names) + "/JSON"
        body, cached = self._compound_json(identifier, namespace, op)
        rows = body.get("PropertyTable", {}).get("Properties", [])
        records = [record_from_properties(r, from_cache=cached) for r in rows if r.get("CID")]
        if not records:
            raise PubChemNotFound(f"PubChem has no compound for {namespace} {identifier!r}")
        return records

    def lookup(self, identifier: str | int, namespace: Namespace | None = None) -> CompoundRecord:
        """The best-matching compound for a name, CAS number, CID, SMILES, InChIKey or formula."""
        ns = namespace or guess_namespace(str(identifier))
        return self.properties(identifier, ns)[0]

    def synonyms(self, cid: int) -> list[str]:
        """All synonyms PubChem lists for a CID, CAS numbers among them."""
        body, _ = self._compound_json(cid, "cid", "synonyms/JSON")
        return synonyms_from_list(body)

    def cas_numbers(self, cid: int) -> list[str]:
        """CAS registry numbers among a compound's synonyms (check digit verified)."""
        return [s for s in self.synonyms(cid) if CAS_PATTERN.fullmatch(s) and cas_checksum_ok(s)]

    def ghs(self, cid: int) -> GhsHazards:
        """GHS pictograms, signal word and hazard statements from PUG-View."""
        url = f"{self._view}/data/compound/{int(cid)}/JSON?" + urlencode(
            {"heading": "GHS Classification"}
        )
        body, cached = self._get(url, None, what=f"GHS classification of CID {cid}")
        return ghs_from_view(body, from_cache=cached)

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()

    # -- transport -------------------------------------------------------------------------

    def _compound_json(
        self, identifier: str | int, namespace: Namespace, operation: str
    ) -> tuple[dict[str, Any], bool]:
        ident = str(identifier).strip()
        if not ident:
            raise PubChemBadRequest("empty identifier: give a name, CID, SMILES or InChIKey")
        if namespace in _POSTED:
            # POST keeps '/' and '#' in SMILES and names out of the URL, as pubchempy does.
            url = f"{self._rest}/compound/{namespace}/{operation}"
            form: dict[str, str] | None = {namespace: ident}
        else:
            ns = "fastformula" if namespace == "formula" else namespace
            url = f"{self._rest}/compound/{ns}/{quote(ident, safe='')}/{operation}"
            form = None
        return self._get(url, form, what=f"{namespace} {ident!r}")

    def _count(self, **fields: int) -> None:
        with self._stats_lock:
            for k, v in fields.items():
                setattr(self.stats, k, getattr(self.stats, k) + v)

    def _get(
        self, url: str, form: dict[str, str] | None, *, what: str
    ) -> tuple[dict[str, Any], bool]:
        key = url + ("\n" + urlencode(sorted(form.items())) if form else "")
        self._count(lookups=1)
        cached = self.cache.get(key) if self.cache else None
        ttl = self.settings.cache_ttl_days * 86400
        if cached and (self.settings.offline or ttl == 0 or cached.age_s() < ttl):
            self._count(cache_hits=1)
            return self._answer(cached.status, cached.body, what, from_cache=True), True
        if self.settings.offline:
            raise PubChemUnavailable(
                f"offline mode: {what} is not in the local PubChem cache; "
                "turn offline mode off (CHEMAGENT_PUBCHEM__OFFLINE=0) to ask PubChem",
                "offline_mode",
            )
        try:
            status, body = self._fetch(url, form, what)
        except PubChemUnavailable:
            if cached is None:
                raise
            log.warning(
                "PubChem unavailable; using a cached answer %.0f days old", cached.age_s() / 86400
            )
            self._count(cache_hits=1, stale_served=1)
            return self._answer(cached.status, cached.body, what, from_cache=True), True
        if self.cache is not None:
            self.cache.put(key, status, body)
        return self._answer(status, body, what, from_cache=False), False

    @staticmethod
    def _answer(
        status: int, body: dict[str, Any], what: str, *, from_cache: bool
    ) -> dict[str, Any]:
        if status == 404:
            fault = body.get("Fault", {})
            detail = "; ".join(fault.get("Details", [])) or fault.get("Message", "not found")
            raise PubChemNotFound(
                f"PubChem has no compound for {what} ({detail})", from_cache=from_cache
            )
        return body

    def _fetch(
        self, url: str, form: dict[str, str] | None, what: str
    ) -> tuple[int, dict[str, Any]]:
        s = self.settings
        data = urlencode(form).encode() if form else None
        last: UnavailableReason = "server_error"
        last_detail = ""
        for attempt in range(s.max_retries + 1):
            if attempt:
                self._count(retries=1)
            self._limiter.acquire()
            self._count(requests=1)
            retry_after = 0.0
            try:
                req = Request(url, data=data, headers={"User-Agent": _USER_AGENT})
                wait_s = limit(
                    s.timeout_s, f"PubChem lookup of {what}", raises=ToolDeadlineExceeded
                )
                with urlopen(req, timeout=wait_s) as resp:
                    self._watch_throttling(resp.headers.get("X-Throttling-Control", ""))
                    raw = read_within(resp, wait_s, s.max_response_mb)
                try:
                    payload = json.loads(raw)
                    if not isinstance(payload, dict):
                        raise ValueError("not a JSON object")
                    return 200, payload
                except ValueError:
                    last, last_detail = "server_error", "PubChem sent a malformed answer"
            except HTTPError as e:
                fault = _fault(e)
                if e.code == 404:
                    return 404, {"Fault": fault}
                if e.code == 400:
                    raise PubChemBadRequest(
                        f"PubChem rejected {what}: {fault.get('Message') or fault.get('Code') or e.reason}"
                    ) from e
                if e.code in (429, 503):
                    last, last_detail = (
                        "throttled",
                        f"HTTP {e.code} {fault.get('Code', 'ServerBusy')}",
                    )
                    retry_after = _retry_after(e.headers.get("Retry-After"))
                elif e.code in (500, 502, 504):
                    last, last_detail = (
                        "timeout" if e.code == 504 else "server_error",
                        f"HTTP {e.code} {fault.get('Code', e.reason)}",
                    )
                else:
                    raise PubChemUnavailable(
                        f"PubChem answered HTTP {e.code} for {what}: {fault.get('Message', e.reason)}",
                        "server_error",
                    ) from e
            except URLError as e:
                if _is_offline(e.reason):
                    raise PubChemUnavailable(
                        f"cannot reach PubChem at {self._host} ({e.reason}): this machine looks "
                        "offline. Connect, or set CHEMAGENT_PUBCHEM__OFFLINE=1 to use cached answers",
                        "offline",
                    ) from e
                last, last_detail = _transient(e.reason)
            except (TimeoutError, http.client.HTTPException, ConnectionError) as e:
                last, last_detail = _transient(e)
            if attempt < s.max_retries:
                delay = random.uniform(0, min(s.backoff_max_s, s.backoff_s * 2**attempt))
                log.info(
                    "PubChem %s for %s; retry %d in %.2fs", last_detail, what, attempt + 1, delay
                )
                left = remaining()
                if left is not None and left < max(delay, retry_after) + 0.5:
                    raise PubChemUnavailable(
                        f"{what}: {last_detail}; no time left in the question's budget for "
                        "another try (setting agent.time_budget_s)",
                        "timeout",
                    )
                self._sleep(max(delay, retry_after))
        advice = {
            "throttled": "PubChem is throttling requests; wait a minute and try again",
            "timeout": "PubChem did not answer in time; try again later or raise pubchem.timeout_s",
            "server_error": "PubChem is having trouble; try again later",
            "offline": "",
            "offline_mode": "",
        }[last]
        raise PubChemUnavailable(
            f"{what}: {last_detail} after {s.max_retries + 1} attempts. {advice}", last
        )

    def _watch_throttling(self, header: str) -> None:
        states = [m.group(2).lower() for m in _THROTTLE.finditer(header)]
        if "black" in states:
            self._limiter.pause(10.0)
        elif "red" in states:
            self._limiter.pause(1.0)


def read_within(resp: Any, seconds: float, max_mb: float) -> bytes:
    """The whole body within `seconds` in all (not per read: a server that sends one byte every
    few seconds is cut off too) and at most `max_mb` megabytes."""
    end = time.monotonic() + seconds
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > end:
            raise TimeoutError(f"the answer took longer than {seconds:.3g} s to arrive")
        chunk = resp.read1(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_mb * 1e6:
            raise http.client.HTTPException(f"the answer is larger than {max_mb:g} MB")
        chunks.append(chunk)


def guess_namespace(identifier: str) -> Namespace:
    """CID, InChIKey, or name (CAS numbers are names to PubChem); SMILES when RDKit says so."""
    text = identifier.strip()
    if text.isdigit():
        return "cid"
    if re.fullmatch(r"[A-Z]{14}-[A-Z]{10}-[A-Z]", text):
        return "inchikey"
    if CAS_PATTERN.fullmatch(text):
        return "name"
    from models.smiles import looks_like_smiles

    return "smiles" if looks_like_smiles(text) else "name"


def _fault(e: HTTPError) -> dict[str, Any]:
    try:
        body = json.loads(e.read() or b"{}")
        fault = body.get("Fault", {}) if isinstance(body, dict) else {}
        return fault if isinstance(fault, dict) else {}
    except (ValueError, OSError):
        return {}


def _retry_after(value: str | None) -> float:
    try:
        return min(float(value), 60.0) if value else 0.0
    except ValueError:
        return 0.0


def _is_offline(reason: object) -> bool:
    if isinstance(reason, socket.gaierror | ConnectionRefusedError):
        return True
    return isinstance(reason, OSError) and reason.errno in (101, 113)  # network/host unreachable


def _transient(reason: object) -> tuple[UnavailableReason, str]:
    if isinstance(reason, TimeoutError | socket.timeout):
        return "timeout", "no answer within the time limit"
    return "server_error", f"connection dropped ({type(reason).__name__})"
