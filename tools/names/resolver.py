"""Name -> structure in the order that costs least: the built-in table, the offline name index
(PubChem's table from the `chemicals` package, DrugCentral, the drug dictionary) and the cache,
then OPSIN, then PubChem.

Systematic names never need the network (OPSIN parses them); trivial and trade names are mostly
in the offline index, and the rest need PubChem once and then come from the cache. Only when every
source has failed is a name taken for a misspelling: a unique close match among the index's
names is used and said ("assumed 'paracetmol' means paracetamol"), several are offered. That is
after OPSIN, which reads systematic names exactly, so a systematic name is never "corrected" into
another compound. Every answer says where it came from.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tools.base import ToolError, ToolInputError
from tools.chem.mol import ChemLimits, canonical_smiles
from tools.names.opsin import Opsin, OpsinUnavailable
from tools.names.orthonym import OrthonymUnavailable, iupac_name
from tools.names.table import CAS_PATTERN, NameTable, Resolution, builtin_table, cas_checksum_ok
from tools.pubchem.cache import AnswerCache
from tools.pubchem.client import PubChemClient, guess_namespace
from tools.pubchem.errors import PubChemError, PubChemNotFound, PubChemUnavailable
from tools.pubchem.records import CompoundRecord

log = logging.getLogger(__name__)

FailureKind = Literal["invalid", "not_found", "offline", "unavailable"]


class ResolveFailure(BaseModel):
    """A name that could not be resolved, and why, in words the user can act on."""

    model_config = ConfigDict(extra="forbid")

    query: str
    kind: FailureKind
    error: str


Outcome = Resolution | ResolveFailure
Progress = Callable[[str, Outcome], None]


class NameNotFound(ToolInputError):
    """No source knows the name."""


class NameUnavailable(ToolError):
    """The name may be real, but the sources that could know it cannot be asked now."""


def _key(query: str) -> str:
    return " ".join(query.split()).lower()


class NameResolver:
    """Thread-safe. `agent.deps.name_resolver` builds one from the assistant's settings."""

    def __init__(
        self,
        table: NameTable | None = None,
        cache: AnswerCache | None = None,
        opsin: Opsin | None = None,
        pubchem: PubChemClient | None = None,
        limits: ChemLimits | None = None,
        workers: int = 4,
        orthonym: bool = True,
    ) -> None:
        self.orthonym = orthonym
        self.table = table or builtin_table()
        self.cache = cache
        self.opsin = opsin
        self.pubchem = pubchem
        self.limits = limits or ChemLimits()
        self.workers = workers

    @cached_property
    def _by_smiles(self) -> dict[str, Resolution]:
        # Built on first structure -> name question, not when the assistant starts.
        return {canonical_smiles(r.smiles): r for r in self.table.rows() if r.smiles}

    # -- one name ------------------------------------------------------------------------

    def resolve(self, query: str) -> Resolution:
        """One name; raises `NameNotFound` or `NameUnavailable` with the reasons."""
        out = self.resolve_many([query])[0]
        if isinstance(out, Resolution):
            return out
        if out.kind in ("invalid", "not_found"):
            raise NameNotFound(out.error)
        raise NameUnavailable(out.error)

    # -- many names ----------------------------------------------------------------------

    def resolve_many(self, queries: list[str], progress: Progress | None = None) -> list[Outcome]:
        """Every name, in order; a failure is reported in its place and never stops the rest."""
        results: dict[int, Outcome] = {}
        notes: dict[int, list[str]] = {}

        def done(i: int, outcome: Outcome) -> None:
            results[i] = outcome
            if progress is not None:
                progress(queries[i], outcome)

        early, pending = self._locally(queries)
        for i, outcome in early.items():
            done(i, outcome)
        for i in pending:
            why = self.table.why_not(queries[i])
            notes.setdefault(i, []).append(why or "not in the offline dictionaries")
        unparsed: set[int] = set()  # names OPSIN read and found no structure in
        if pending and self.opsin is not None:
            pending = self._opsin_pass(queries, pending, notes, done, unparsed)
        if pending:
            self._pubchem_pass(queries, pending, notes, done, unparsed)
        return [results[i] for i in range(len(queries))]

    def resolve_offline(self, queries: list[str]) -> list[Resolution | None]:
        """Each name through the table, the offline index, the cache and OPSIN (one JVM run),
        never PubChem and never a spelling correction: cheap enough to try every candidate name
        in a question. These are guesses at where a name is, so the index answers only for
        names it would spot in running text (not "salt", "lead" or "carbon")."""
        results, pending = self._locally(queries, spotted_only=True)
        if pending and self.opsin is not None:

            def done(i: int, outcome: Outcome) -> None:
                results[i] = outcome

            self._opsin_pass(queries, pending, {}, done)
        return [
            r if isinstance(r := results.get(i), Resolution) else None for i in range(len(queries))
        ]

    def _locally(
        self, queries: list[str], spotted_only: bool = False
    ) -> tuple[dict[int, Outcome], list[int]]:
        """Outcomes from the tables and the cache, and the indices still to resolve."""
        found: dict[int, Outcome] = {}
        pending: list[int] = []
        for i, q in enumerate(queries):
            early = self._local(q, spotted_only)
            if early is None:
                pending.append(i)
            else:
                found[i] = early
        return found, pending

    def _local(self, query: str, spotted_only: bool = False) -> Outcome | None:
        q = " ".join(query.split())
        if not q:
            return ResolveFailure(query=query, kind="invalid", error="empty name")
        if CAS_PATTERN.fullmatch(q) and not cas_checksum_ok(q):
            return ResolveFailure(
                query=query,
                kind="invalid",
                error=f"{q} is not a valid CAS number (its check digit is wrong)",
            )
        hit = self.table.lookup(q, spotted_only=spotted_only)
        if hit is not None:
            return hit.model_copy(update={"query": query, "smiles": canonical_smiles(hit.smiles)})
        return self._recall(_key(q), query)

    def _recall(self, key: str, query: str) -> Resolution | None:
        cached = self.cache.get(key) if self.cache else None
        if cached is None:
            return None
        res = Resolution.model_validate(cached.body)
        return res.model_copy(update={"query": query, "cached": True})

    def _remember(self, key: str, res: Resolution) -> None:
        if self.cache is not None:
            self.cache.put(key, 200, res.model_dump(exclude={"cached"}))

    def _opsin_pass(
        self,
        queries: list[str],
        pending: list[int],
        notes: dict[int, list[str]],
        done: Callable[[int, Outcome], None],
        unparsed: set[int] | None = None,
    ) -> list[int]:
        assert self.opsin is not None
        ask = [i for i in pending if not CAS_PATTERN.fullmatch(queries[i].strip())]
        if not ask:
            return pending
        try:
            parsed = self.opsin.parse([queries[i] for i in ask])
        except OpsinUnavailable as exc:
            log.warning("OPSIN unavailable: %s", exc)
            for i in ask:
                notes.setdefault(i, []).append(f"OPSIN unavailable: {exc}")
            return pending
        left = [i for i in pending if i not in ask]
        for i, r in zip(ask, parsed, strict=True):
            smiles = None
            if r.smiles:
                try:
                    smiles = canonical_smiles(r.smiles, self.limits)
                except ToolInputError as exc:
                    notes.setdefault(i, []).append(f"OPSIN gave a structure RDKit rejects: {exc}")
            if smiles is None:
                notes.setdefault(i, []).append(r.error or "OPSIN cannot parse it")
                left.append(i)
                if not r.smiles and unparsed is not None:
                    unparsed.add(i)
                continue
            res = Resolution(
                query=queries[i], name=" ".join(queries[i].split()), smiles=smiles, source="OPSIN"
            )
            self._remember(_key(res.query), res)
            done(i, res)
        return sorted(left)

    def _pubchem_pass(
        self,
        queries: list[str],
        pending: list[int],
        notes: dict[int, list[str]],
        done: Callable[[int, Outcome], None],
        unparsed: set[int],
    ) -> None:
        def one(i: int) -> tuple[int, Outcome]:
            found = self._from_pubchem(queries[i], notes.get(i, []))
            return i, self._respelt(found, assume=i in unparsed)

        if self.pubchem is None:
            for i in pending:
                why = _failure(
                    queries[i], "not_found", notes.get(i, []), "PubChem is not configured"
                )
                done(i, self._respelt(why, assume=i in unparsed))
            return
        # Each lookup runs in a copy of this context, so it sees the question's deadline
        # (models.deadline); without it a lookup went on retrying long after the answer.
        with ThreadPoolExecutor(max_workers=min(self.workers, len(pending))) as pool:
            futures = [pool.submit(contextvars.copy_context().run, one, i) for i in pending]
            for future in futures:
                done(*future.result())

    def _respelt(self, outcome: Outcome, assume: bool) -> Outcome:
        """A name no source knows, read as a misspelling: the one compound the closest names
        in the offline index mean, said in its note; or the failure, offering the close names.

        A correction is assumed only for a name OPSIN has read and found no structure in
        (`assume`): without OPSIN a systematic name ("propylcycloheptane") cannot be told from
        a misspelling of another compound ("propylcyclohexane"), so it is only offered."""
        if not isinstance(outcome, ResolveFailure) or outcome.kind == "invalid":
            return outcome
        guess, options = self.table.spelling(outcome.query)
        if guess is not None and not assume:
            options = [guess.name]
        elif guess is not None:
            try:
                smiles = canonical_smiles(guess.smiles, self.limits)
            except ToolInputError:
                return outcome
            return guess.model_copy(update={"smiles": smiles})
        if options:
            offer = (
                f"{', '.join(options[:-1])} or {options[-1]}" if len(options) > 1 else options[0]
            )
            return outcome.model_copy(update={"error": f"{outcome.error}; did you mean {offer}?"})
        return outcome

    def _from_pubchem(self, query: str, notes: list[str]) -> Outcome:
        assert self.pubchem is not None
        q = " ".join(query.split())
        ns = guess_namespace(q)
        if ns == "cid":
            ns = "name"  # a bare number in a question is not a CID
        try:
            rec = self.pubchem.lookup(q, ns)
        except PubChemNotFound as exc:
            return _failure(query, "not_found", notes, str(exc))
        except PubChemUnavailable as exc:
            kind: FailureKind = (
                "offline" if exc.reason in ("offline", "offline_mode") else "unavailable"
            )
            return _failure(query, kind, notes, str(exc))
        except PubChemError as exc:
            return _failure(query, "invalid", notes, str(exc))
        if not rec.smiles:
            return _failure(query, "not_found", notes, f"PubChem CID {rec.cid} has no structure")
        try:
            smiles = canonical_smiles(rec.smiles, self.limits)
        except ToolInputError as exc:
            return _failure(query, "invalid", notes, f"PubChem's structure is rejected: {exc}")
        res = _from_record(rec, query, smiles, q, cas=q if CAS_PATTERN.fullmatch(q) else None)
        self._remember(_key(q), res)
        return res.model_copy(update={"cached": rec.from_cache})

    # -- structure -> name ---------------------------------------------------------------

    def name_for(self, smiles: str) -> Resolution:
        """A name for a structure: the built-in table, the cache, Orthonym's verified IUPAC
        name (offline), else PubChem's title."""
        canon = canonical_smiles(smiles, self.limits)
        row = self._by_smiles.get(canon)
        if row is not None:
            return row.model_copy(update={"query": smiles, "smiles": canon})
        key = "smiles:" + canon
        if (cached := self._recall(key, smiles)) is not None:
            return cached
        why_not = ""
        if self.orthonym:
            try:
                iupac = iupac_name(canon)
            except OrthonymUnavailable as exc:
                iupac, why_not = None, f"Orthonym unavailable: {exc}"
            if iupac:
                res = Resolution(
                    query=smiles, name=iupac, smiles=canon, source="Orthonym (IUPAC, verified)"
                )
                self._remember(key, res)
                return res
            why_not = why_not or "Orthonym has no verified IUPAC name for it"
        if self.pubchem is None:
            raise NameUnavailable(
                f"no name known offline for {canon}, and PubChem is not configured"
            )
        try:
            rec = self.pubchem.lookup(canon, "smiles")
        except PubChemNotFound as exc:
            raise NameNotFound(f"PubChem has no compound with the structure {canon}") from exc
        except PubChemUnavailable as exc:
            raise NameUnavailable(
                f"no name for {canon} offline ({why_not or 'Orthonym not enabled'}), and PubChem "
                f"could not be asked: {exc}"
            ) from exc
        res = _from_record(rec, smiles, canon, canon)
        self._remember(key, res)
        return res.model_copy(update={"cached": rec.from_cache})

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()
        if self.pubchem is not None:
            self.pubchem.close()


def _from_record(
    rec: CompoundRecord, query: str, smiles: str, fallback: str, cas: str | None = None
) -> Resolution:
    """A PubChem answer as a resolution, named by PubChem's title, else IUPAC name, else
    `fallback`."""
    return Resolution(
        query=query,
        name=rec.title or rec.iupac_name or fallback,
        smiles=smiles,
        cas=cas,
        cid=rec.cid,
        formula=rec.formula,
        source=f"PubChem CID {rec.cid}",
    )


def _failure(query: str, kind: FailureKind, notes: list[str], last: str) -> ResolveFailure:
    why = "; ".join([*notes, last])
    lead = {
        "not_found": f"unknown compound name {query!r}",
        "offline": f"cannot resolve {query!r} offline",
        "unavailable": f"cannot resolve {query!r} right now",
        "invalid": f"cannot resolve {query!r}",
    }[kind]
    return ResolveFailure(query=query, kind=kind, error=f"{lead}: {why}")
