"""The offline name index: about a million names of 100,000 compounds and drugs in one SQLite
file, opened on first use, in milliseconds, instead of unpickling a dictionary in every process.

It lives in the user's cache folder (`default_index_file`, or the `names.index_file` setting), so
every process and every data folder shares one build. The first process that needs it builds it
(about ten seconds; `chemagent setup` does it up front) under a file lock, so two processes
starting together build it once; one that is unreadable, or built by another schema or from other
versions of its sources, is rebuilt, with a log line. If it cannot be built the names it holds are
simply not known offline: a question never fails because of it.

Look-ups rank the records that list a name (`ranking`); a drug dictionary name leads to its drug,
whose structure is taken from DrugCentral or PubChem's table when they name it, else from the
dictionary's product structure reduced to its parent (`drugs.parent_structure`).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from tools.base import ToolError
from tools.names import spelling
from tools.names.index_build import SCHEMA_VERSION
from tools.names.ranking import Candidate, pick, ranked
from tools.names.sources import Kind, Source, name_key, source_versions
from tools.names.spotting import longest_matches, ngrams

log = logging.getLogger(__name__)

INDEX_FILENAME = f"names-v{SCHEMA_VERSION}.sqlite"
_BUILD_WAIT_S = 600.0  # another process's build takes seconds; this bounds a stuck one
_SQL_CHUNK = 500
_MISSING = "no index yet"
_QUALIFIER = re.compile(r" \([^()]*\)$")
NO_STRUCTURE = "no structure in the dictionary"

T = TypeVar("T")


def default_index_file() -> Path:
    """$XDG_CACHE_HOME/chemdfm-agent/names-v1.sqlite (~/.cache/... when unset) on Linux, the
    platform's user cache folder elsewhere."""
    from platformdirs import user_cache_path

    return user_cache_path("chemdfm-agent", appauthor=False) / INDEX_FILENAME


@dataclass(frozen=True)
class IndexHit:
    """A name found in the index, with the structure it means and what to say about it."""

    name: str
    smiles: str
    source: Source
    alias: str | None = None  # how the name leads to the compound (a brand, a synonym)
    parent: str | None = None  # how the structure was made from the source's (a salt's parent)
    cas: str | None = None
    cid: int | None = None
    formula: str | None = None
    drug: str | None = None  # the drug's name, when the drug dictionary led to it


@dataclass(frozen=True)
class _Decision:
    """What the index makes of a name, before the query's own wording is put into notes."""

    hit: Candidate | None = None
    kind: Kind | None = None
    drug: Candidate | None = None  # the drug dictionary record the name led to
    parent_note: str | None = None
    why: str | None = None


@dataclass(frozen=True)
class Spelling:
    """What a name that nothing knows may be a misspelling of."""

    hit: IndexHit | None = None  # what the one close match means: used
    corrected: str | None = None  # that match, as the index spells it
    options: tuple[str, ...] = ()  # several close matches: offered, not used


class NameIndex:
    """Thread-safe read access to the index file, built or rebuilt when needed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._con: sqlite3.Connection | None = None
        self._failed: str | None = None
        self._decide = lru_cache(maxsize=4096)(self._decide_uncached)

    # -- opening -------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection | None:
        with self._lock:
            if self._con is None and self._failed is None:
                try:
                    self._con = self._open_or_build()
                except (OSError, sqlite3.Error, ToolError, ValueError, KeyError) as exc:
                    self._failed = str(exc)
                    log.warning("offline name index unavailable (%s): %s", self.path, exc)
            return self._con

    def _open_or_build(self) -> sqlite3.Connection:
        from tools.locks import exclusive
        from tools.names.index_build import build, remove_stale

        versions = source_versions()
        con, why = self._open(versions)
        if con is not None:
            return con
        lock = self.path.with_name(self.path.name + ".lock")
        with exclusive(lock, "the offline name index build", wait_s=_BUILD_WAIT_S):
            con, why = self._open(versions)  # another process may have built it meanwhile
            if con is not None:
                return con
            remove_stale(self.path)
            # A first build is expected (INFO); replacing a damaged or outdated one is not.
            level = logging.INFO if why == _MISSING else logging.WARNING
            log.log(level, "building the offline name index %s (%s), about 10 s", self.path, why)
            build(self.path, versions)
        con, why = self._open(versions)
        if con is None:
            raise ValueError(f"the index just built is not usable: {why}")
        return con

    def _open(self, versions: dict[str, str]) -> tuple[sqlite3.Connection | None, str]:
        """A read-only connection to a current index, or (None, why it is not one)."""
        if not self.path.is_file():
            return None, _MISSING
        con = sqlite3.connect(self.path.as_uri() + "?mode=ro", uri=True, check_same_thread=False)
        try:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("schema_version") != str(SCHEMA_VERSION):
                why = f"schema version {meta.get('schema_version')}, not {SCHEMA_VERSION}"
            elif json.loads(meta.get("sources", "{}")) != versions:
                why = "built from other versions of its sources"
            else:
                return con, ""
        except (sqlite3.DatabaseError, ValueError) as exc:
            why = f"unreadable: {exc}"
        con.close()
        return None, why

    def _query(self, run: Callable[[sqlite3.Connection], T], empty: T) -> T:
        """Run a read; a file found damaged mid-read is rebuilt once, with a log line."""
        for attempt in range(2):
            con = self._connection()
            if con is None:
                return empty
            try:
                with self._lock:
                    return run(con)
            except sqlite3.OperationalError as exc:  # busy disk, too many variables: not damage
                log.warning("offline name index %s: %s", self.path, exc)
                return empty
            except sqlite3.DatabaseError as exc:
                log.warning("offline name index %s is damaged (%s): rebuilding", self.path, exc)
                with self._lock:
                    con.close()
                    self._con = None
                    if attempt == 0:
                        self.path.unlink(missing_ok=True)
                    else:
                        self._failed = str(exc)
        return empty

    def info(self) -> dict[str, str]:
        """The index's `meta` table (counts, sources, build time), {} when unavailable."""
        return self._query(lambda c: dict(c.execute("SELECT key, value FROM meta").fetchall()), {})

    @property
    def unavailable(self) -> str | None:
        """Why the index cannot be used, once that is known; None otherwise."""
        return self._failed

    # -- looking up ----------------------------------------------------------------------

    def _candidates(self, key: str) -> list[Candidate]:
        sql = (
            "SELECT r.id, r.source, n.kind, r.name, r.smiles, r.cas, r.cid, r.formula "
            "FROM names n JOIN records r ON r.id = n.record WHERE n.key = ?"
        )
        rows: list[tuple[Any, ...]] = self._query(lambda c: c.execute(sql, (key,)).fetchall(), [])
        return [
            Candidate(r[0], Source(r[1]), Kind(r[2]), r[3], r[4], r[5], r[6], r[7]) for r in rows
        ]

    def _decide_uncached(self, key: str) -> _Decision:
        found = ranked(
            [c for c in self._candidates(key) if c.smiles or c.source is Source.DRUG_DICTIONARY]
        )
        if not found:
            return _Decision()
        # The best way of naming decides (step 1 in `ranking`); among records named equally
        # well, the drug dictionary's product structures count only when nothing else has one.
        tier = found[0].rank[0]
        group = [c for c in found if c.rank[0] == tier and c.source is not Source.DRUG_DICTIONARY]
        if not group:
            drug = self._via_drug(found[0])
            # A drug the dictionary has no structure for says nothing against PubChem's records
            # that list the name less directly; one it knows to be a mixture does.
            rest = [c for c in found[1:] if c.source is not Source.DRUG_DICTIONARY]
            if drug.hit is None and drug.why == NO_STRUCTURE and rest:
                tier = rest[0].rank[0]
                group = [c for c in rest if c.rank[0] == tier]
            else:
                return drug
        chosen = pick(group, key)
        if chosen is None:
            listed = ", ".join(dict.fromkeys(c.name for c in group))
            labels = " and ".join(dict.fromkeys(c.source.label for c in group))
            return _Decision(why=f"it is listed for several compounds in the {labels} ({listed})")
        return _Decision(hit=chosen, kind=chosen.kind)

    def _via_drug(self, drug: Candidate) -> _Decision:
        """A drug dictionary name: its drug as DrugCentral or PubChem's table names it, else
        the parent of the dictionary's structure, else why there is none."""
        from tools.names.drugs import parent_structure

        # "Propranolol (Cardiovascular)": the drug, without the dictionary's qualifier.
        key = _QUALIFIER.sub("", name_key(drug.name))
        named = [
            c
            for c in ranked(self._candidates(key))
            if c.kind is Kind.NAME and c.source is not Source.DRUG_DICTIONARY and c.smiles
        ]
        if named:
            chosen = pick(named, drug.name)
            if chosen is not None:
                return _Decision(hit=chosen, kind=Kind.NAME, drug=drug)
        if not drug.smiles:
            return _Decision(drug=drug, why=NO_STRUCTURE)
        smiles, note = parent_structure(drug.smiles)
        if smiles is None:
            return _Decision(drug=drug, why=note)
        parent = Candidate(drug.record, drug.source, Kind.NAME, drug.name, smiles, formula=None)
        return _Decision(hit=parent, kind=Kind.NAME, drug=drug, parent_note=note)

    def lookup(self, query: str, *, spotted_only: bool = False) -> IndexHit | None:
        """The structure a name, synonym or CAS number means, or None. With `spotted_only`,
        only names that may be spotted in running text (no ordinary words, no elements)."""
        key = name_key(query)
        if not key or (spotted_only and not self._spotted({key})):
            return None
        d = self._decide(key)
        if d.hit is None or d.hit.smiles is None:
            return None
        q = " ".join(query.split())
        alias = None
        if d.drug is not None and name_key(d.drug.name) != key:
            alias = f"{q} = {d.drug.name.lower()} in the drug dictionary"
        elif d.kind is Kind.SYNONYM and name_key(d.hit.name) != key:
            alias = f"{q} is listed by PubChem as a synonym of {d.hit.name}"
        elif d.kind is Kind.CAS_SYNONYM:
            alias = f"{q} is one of the CAS numbers PubChem lists for {d.hit.name}"
        drug_name = d.drug.name.lower() if d.drug is not None else None
        name = d.hit.name.lower() if d.hit.source is Source.DRUG_DICTIONARY else d.hit.name
        return IndexHit(
            name=name,
            smiles=d.hit.smiles,
            source=d.hit.source,
            alias=alias,
            parent=d.parent_note,
            cas=d.hit.cas,
            cid=d.hit.cid,
            formula=d.hit.formula,
            drug=drug_name,
        )

    def why_not(self, query: str) -> str | None:
        """Why the index knows a name but gives no structure for it, else None."""
        key = name_key(query)
        if not key:
            return None
        d = self._decide(key)
        if d.why is None:
            return None
        if d.drug is not None:
            return f"the drug dictionary knows {query!r} ({d.drug.name}), but {d.why}"
        return f"{query!r}: {d.why}"

    # -- spotting ------------------------------------------------------------------------

    def _spotted(self, keys: set[str]) -> set[str]:
        ordered = sorted(keys)

        def run(con: sqlite3.Connection) -> set[str]:
            found: set[str] = set()
            for i in range(0, len(ordered), _SQL_CHUNK):
                chunk = ordered[i : i + _SQL_CHUNK]
                sql = f"SELECT key FROM spot WHERE key IN ({','.join('?' * len(chunk))})"
                found.update(k for (k,) in con.execute(sql, chunk))
            return found

        return self._query(run, set())

    def find_names(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, text) of the names in `text` that may be spotted, longest first, left to
        right: every run of one to five words, looked up in one query."""
        grams = ngrams(text)
        if not grams:
            return []
        known = self._spotted({k for _, _, k in grams})
        return [(a, b, text[a:b]) for a, b in longest_matches(grams, known)]

    # -- misspellings --------------------------------------------------------------------

    def close_matches(self, query: str) -> list[tuple[int, str]]:
        """(distance, name) of the index's names within the allowed edits of `query`."""
        key = name_key(query)
        if not spelling.correctable(key):
            return []
        hs = spelling.hashes(spelling.deletions(key, spelling.allowance(key)))
        sql = (
            "SELECT DISTINCT v.key FROM deletes d JOIN vocab v ON v.id = d.vocab "
            f"WHERE d.h IN ({','.join('?' * len(hs))})"
        )
        rows: list[tuple[str]] = self._query(lambda c: c.execute(sql, hs).fetchall(), [])
        return spelling.close(key, [k for (k,) in rows])

    def spelling(self, query: str) -> Spelling:
        """The one compound the closest names mean (used), or else the compounds the close
        names mean (offered, nearest first, each by its own name where one of them is that)."""
        matches = self.close_matches(query)
        groups: dict[str, list[tuple[int, str, IndexHit | None]]] = {}
        for d, key in matches:
            hit = self.lookup(key)
            groups.setdefault(self._structure_key(hit) if hit else key, []).append((d, key, hit))
        if not groups:
            return Spelling()
        best = min(d for d, _, _ in next(iter(groups.values())))
        # `matches` is nearest first, so the first group holds the nearest names.
        nearest = [g for g in groups.values() if any(d == best for d, _, _ in g)]
        named = [next((m for m in g if m[2] and m[2].alias is None), g[0]) for g in groups.values()]
        # A correction is assumed only when it keeps the first letter: misspellings rarely
        # change it, and a made-up name ("Zorbitol") is then offered, not silently a drug.
        first = name_key(query)[:1]
        if (
            len(nearest) == 1
            and all(h is not None for _, _, h in nearest[0])
            and all(key[:1] == first for _, key, _ in nearest[0])
        ):
            _, key, hit = next(
                (m for m in nearest[0] if m[2] and m[2].alias is None), nearest[0][0]
            )
            return Spelling(hit=hit, corrected=key)
        return Spelling(options=tuple(key for _, key, _ in named[:5]))

    @staticmethod
    def _structure_key(hit: IndexHit) -> str:
        from tools.chem.mol import canonical_smiles

        try:
            return canonical_smiles(hit.smiles)
        except ToolError:
            return hit.smiles
